"""AWS use cases: deploy, promote, rollback, status and logs, driven through typed wrappers.

On AWS the control plane is CloudFormation and ECS: these run in the caller's process with the
caller's credentials (the `launchdeck aws` commands, a CI job). They are orchestration only: every
AWS call goes through drivers/aws wrappers (or tests' in-memory fakes), and time through a Clock.
Owns: the deploy contract with template synthesis (contract.py), change sets and their
confirmation, rollout watching, the rollback record in SSM.
Must not import: cli, awscli.
"""

from launchdeck.controlplane.aws.deploy import deploy
from launchdeck.controlplane.aws.logs import logs
from launchdeck.controlplane.aws.model import (
    ChangeSetSummary,
    DeployEvent,
    DeployResult,
    EnvStatus,
    LogLine,
    Outcome,
    Phase,
    RollbackResult,
    RolloutProgress,
    StackProgress,
    Waits,
)
from launchdeck.controlplane.aws.ports import AwsApis, open_aws
from launchdeck.controlplane.aws.promote import promote
from launchdeck.controlplane.aws.rollback import rollback
from launchdeck.controlplane.aws.status import status

__all__ = [
    "AwsApis",
    "ChangeSetSummary",
    "DeployEvent",
    "DeployResult",
    "EnvStatus",
    "LogLine",
    "Outcome",
    "Phase",
    "RollbackResult",
    "RolloutProgress",
    "StackProgress",
    "Waits",
    "deploy",
    "logs",
    "open_aws",
    "promote",
    "rollback",
    "status",
]
