"""Typed wrappers over boto3, one per AWS service, named for what they do.

Each takes its raw client in (tests hand in a client under botocore's Stubber), returns frozen
dataclasses and raises only errors of launchdeck.drivers.aws.errors.
Must not import: planning, execution, controlplane, awsdeploy, cli.
"""

from launchdeck.drivers.aws.clients.connect import AwsClients, connect
from launchdeck.drivers.aws.clients.identity import Caller, Identity
from launchdeck.drivers.aws.clients.logs import LogEvent, Logs
from launchdeck.drivers.aws.clients.parameters import Parameters
from launchdeck.drivers.aws.clients.registry import ImagePresence, Registry
from launchdeck.drivers.aws.clients.services import (
    Deployment,
    ServiceEvent,
    Services,
    ServiceState,
    TaskDefinitionArn,
)
from launchdeck.drivers.aws.clients.stacks import (
    ChangeSet,
    ChangeSetRequest,
    ResourceChange,
    Stack,
    StackEvent,
    Stacks,
    first_failure,
    is_terminal,
)
from launchdeck.drivers.aws.clients.tasks import RunRequest, Tasks, TaskState
from launchdeck.drivers.aws.clients.templates import Templates

__all__ = [
    "AwsClients",
    "Caller",
    "ChangeSet",
    "ChangeSetRequest",
    "Deployment",
    "Identity",
    "ImagePresence",
    "LogEvent",
    "Logs",
    "Parameters",
    "Registry",
    "ResourceChange",
    "RunRequest",
    "ServiceEvent",
    "ServiceState",
    "Services",
    "Stack",
    "StackEvent",
    "Stacks",
    "TaskDefinitionArn",
    "TaskState",
    "Tasks",
    "Templates",
    "connect",
    "first_failure",
    "is_terminal",
]
