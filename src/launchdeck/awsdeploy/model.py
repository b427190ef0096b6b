"""What the AWS use cases report: progress events, the change set a person confirms, results,
and how long they wait."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Required, TypedDict

from launchdeck.drivers.aws.clients import ResourceChange, StackEvent
from launchdeck.system.clock import Clock


@dataclass(frozen=True)
class Phase:
    """A step starts or ends: "shared stack launchdeck-shop: no changes"."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class StackProgress:
    stack: str
    event: StackEvent

    def __str__(self) -> str:
        return f"{self.stack}: {self.event}"


@dataclass(frozen=True)
class RolloutProgress:
    service: str
    state: str  # PENDING (the expected revision is not primary yet) | IN_PROGRESS | COMPLETED
    running: int
    desired: int

    def __str__(self) -> str:
        return f"{self.service}: {self.state} ({self.running}/{self.desired} running)"


DeployEvent = Phase | StackProgress | RolloutProgress


@dataclass(frozen=True)
class ChangeSetSummary:
    """What executing a change set would do, for a person to confirm."""

    stack: str
    creating: bool  # the stack does not exist yet
    changes: tuple[ResourceChange, ...]
    parameters: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # key: (old, new)

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    def lines(self) -> list[str]:
        verb = "create" if self.creating else "update"
        head = (
            f"{verb} stack {self.stack}: {self.count('Add')} to add, "
            f"{self.count('Modify')} to modify, {self.count('Remove')} to remove"
        )
        body = [
            f"  {c.action:<7}{c.logical_id} ({c.resource_type})"
            + (f" replacement: {c.replacement}" if c.replacement and c.action == "Modify" else "")
            for c in self.changes
        ]
        body += [f"  {k}: {old or '(none)'} -> {new}" for k, (old, new) in self.parameters.items()]
        return [head, *body]

    def __str__(self) -> str:
        return "\n".join(self.lines())


class Outcome(Enum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"  # the change set was empty: nothing to do
    DECLINED = "declined"  # a person said no; nothing was changed


@dataclass(frozen=True)
class DeployResult:
    app: str
    env: str
    digest: str
    outcome: Outcome  # of the environment's stack (DECLINED also when the shared one was)
    shared: Outcome
    url: str = ""
    task_definitions: Mapping[str, str] = field(default_factory=dict)  # service -> family:rev
    reconciled: tuple[str, ...] = ()  # services moved back to the stack's revision


@dataclass(frozen=True)
class RolledBack:
    service: str
    from_revision: str  # task definition ARNs
    to_revision: str


@dataclass(frozen=True)
class RollbackResult:
    app: str
    env: str
    services: tuple[RolledBack, ...]


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    running: int
    desired: int
    rollout_state: str  # of the primary deployment; "" when ECS does not say
    task_definition: str  # family:revision
    deployments: int


@dataclass(frozen=True)
class EnvStatus:
    app: str
    env: str
    stack: str
    stack_status: str
    digest: str
    url: str
    services: tuple[ServiceStatus, ...] = ()
    rolled_back_to: Mapping[str, str] = field(default_factory=dict)  # service -> task def ARN


@dataclass(frozen=True)
class LogLine:
    timestamp: datetime
    service: str
    message: str

    def __str__(self) -> str:
        return f"{self.timestamp.isoformat(timespec='milliseconds')} {self.service} {self.message}"


@dataclass(frozen=True)
class TaskStarted:
    """A one-off task is on its way: where it is, to look at it or stop it."""

    cluster: str
    task: str  # its ARN
    family: str
    command: str

    @property
    def id(self) -> str:
        return self.task.rsplit("/", 1)[-1]

    def __str__(self) -> str:
        return f"task {self.id} of {self.family}: {self.command}"


@dataclass(frozen=True)
class TaskProgress:
    """The one-off task moved on: PROVISIONING, PENDING, RUNNING, ..., STOPPED."""

    task_id: str
    status: str

    def __str__(self) -> str:
        return f"{self.task_id}: {self.status}"


RunEvent = Phase | TaskStarted | TaskProgress


@dataclass(frozen=True)
class RunResult:
    task: str  # its ARN
    exit_code: int | None = None  # the command's; None when detached
    stopped_reason: str = ""


@dataclass(frozen=True)
class Waits:
    """How long each wait may take, in seconds, and how often to poll."""

    change_set: float = 300.0
    stack: float = 3600.0
    rollout: float = 1800.0
    poll: float = 5.0
    # Emulators (moto) drop rolloutState; only then may a deployment without it count as done.
    allow_missing_rollout_state: bool = False


class DeployOptions(TypedDict, total=False):
    """How a deploy asks and reports: deploy's keyword arguments, which promote passes on."""

    confirm: Required[Callable[[ChangeSetSummary], bool]]
    on_event: Callable[[DeployEvent], None]
    yes: bool
    clock: Clock
    waits: Waits
