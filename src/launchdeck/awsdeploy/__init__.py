"""The AWS deploy use cases: deploy, promote, rollback, status and logs of an environment on AWS.

On AWS the control plane is CloudFormation and ECS: these run in the caller's process with the
caller's credentials (the `launchdeck aws` commands, a CI job), not in launchdeck's control
plane. They are orchestration only: every AWS call goes through the drivers/aws wrappers (or
tests' in-memory fakes, through the protocols in ports.py), time through a Clock.
Owns: change sets and their confirmation, rollout watching, the rollback record in SSM, reading
an environment back from its stack's outputs, one-off tasks (`aws run`).
Must not import: controlplane (nor may it import this), execution, planning, cli, awscli.
"""

from launchdeck.awsdeploy.deploy import deploy
from launchdeck.awsdeploy.logs import logs
from launchdeck.awsdeploy.model import (
    ChangeSetSummary,
    DeployEvent,
    DeployOptions,
    DeployResult,
    EnvStatus,
    LogLine,
    Outcome,
    Phase,
    RollbackResult,
    RolloutProgress,
    RunEvent,
    RunResult,
    StackProgress,
    TaskProgress,
    TaskStarted,
    Waits,
)
from launchdeck.awsdeploy.ports import AwsApis, open_aws
from launchdeck.awsdeploy.promote import promote
from launchdeck.awsdeploy.rollback import rollback
from launchdeck.awsdeploy.run import run
from launchdeck.awsdeploy.status import status

__all__ = [
    "AwsApis",
    "ChangeSetSummary",
    "DeployEvent",
    "DeployOptions",
    "DeployResult",
    "EnvStatus",
    "LogLine",
    "Outcome",
    "Phase",
    "RollbackResult",
    "RolloutProgress",
    "RunEvent",
    "RunResult",
    "StackProgress",
    "TaskProgress",
    "TaskStarted",
    "Waits",
    "deploy",
    "logs",
    "open_aws",
    "promote",
    "rollback",
    "run",
    "status",
]
