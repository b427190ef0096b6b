"""`Tasks`: one-off ECS tasks on Fargate (RunTask, DescribeTasks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from launchdeck.drivers.aws.clients._calls import calling
from launchdeck.drivers.aws.errors import TaskNotStarted

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient

SERVICE = "ecs"
STARTED_BY = "launchdeck"  # RunTask's startedBy: `aws ecs list-tasks --started-by launchdeck`


@dataclass(frozen=True)
class RunRequest:
    """One task of `family` (its latest ACTIVE revision, or `family:revision`) whose container
    runs `command` (through its entry point), in the private subnets without a public IP."""

    cluster: str
    family: str
    container: str
    command: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    group: str


@dataclass(frozen=True)
class TaskState:
    arn: str
    status: str  # PROVISIONING, PENDING, ACTIVATING, RUNNING, ... STOPPED
    task_definition: str = ""
    exit_code: int | None = None  # the container's, once it exited
    stop_code: str = ""  # EssentialContainerExited, TaskFailedToStart, UserInitiated, ...
    stopped_reason: str = ""
    container_reason: str = ""  # e.g. CannotPullContainerError: ...

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def stopped(self) -> bool:
        return self.status == "STOPPED"


class Tasks:
    def __init__(self, client: ECSClient) -> None:
        self._ecs = client

    def run(self, request: RunRequest) -> str:
        """The new task's ARN; TaskNotStarted when ECS says why it started none."""
        with calling(SERVICE, "RunTask"):
            answer = self._ecs.run_task(
                cluster=request.cluster,
                taskDefinition=request.family,
                count=1,
                launchType="FARGATE",
                platformVersion="LATEST",
                group=request.group,
                startedBy=STARTED_BY,
                networkConfiguration={
                    "awsvpcConfiguration": {
                        "subnets": list(request.subnets),
                        "securityGroups": list(request.security_groups),
                        "assignPublicIp": "DISABLED",
                    }
                },
                overrides={
                    "containerOverrides": [
                        {"name": request.container, "command": [request.command]}
                    ]
                },
            )
        tasks = answer.get("tasks", [])
        if not tasks:
            reasons = [
                f"{f.get('reason', '?')}" + (f" ({f['detail']})" if f.get("detail") else "")
                for f in answer.get("failures", [])
            ]
            raise TaskNotStarted(request.family, reasons)
        return tasks[0]["taskArn"]

    def describe(self, cluster: str, task: str, container: str) -> TaskState | None:
        """The task and its container `container`; None when ECS does not know the task."""
        with calling(SERVICE, "DescribeTasks"):
            answer = self._ecs.describe_tasks(cluster=cluster, tasks=[task])
        found = answer.get("tasks", [])
        return _state(found[0], container) if found else None


def _state(raw: Any, container: str) -> TaskState:
    own: dict[str, Any] = next(
        (c for c in raw.get("containers", []) if c.get("name") == container), {}
    )
    return TaskState(
        arn=raw["taskArn"],
        status=raw.get("lastStatus", ""),
        task_definition=raw.get("taskDefinitionArn", ""),
        exit_code=own.get("exitCode"),
        stop_code=raw.get("stopCode", ""),
        stopped_reason=raw.get("stoppedReason", ""),
        container_reason=own.get("reason", ""),
    )
