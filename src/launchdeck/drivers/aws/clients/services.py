"""`Services`: ECS services and their task definition revisions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from launchdeck.drivers.aws.clients._calls import calling, pages
from launchdeck.drivers.aws.errors import ServiceMissing

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient

SERVICE = "ecs"
DESCRIBE_BATCH = 10  # DescribeServices takes at most 10 services a call


@dataclass(frozen=True)
class Deployment:
    id: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    task_definition: str
    rollout_state: str | None  # IN_PROGRESS | COMPLETED | FAILED; None when ECS omits it
    rollout_reason: str = ""
    running: int = 0
    desired: int = 0
    failed_tasks: int = 0


@dataclass(frozen=True)
class ServiceEvent:
    id: str
    message: str


@dataclass(frozen=True)
class ServiceState:
    name: str
    status: str  # ACTIVE | DRAINING | INACTIVE
    task_definition: str
    running: int
    desired: int
    deployments: tuple[Deployment, ...] = ()
    events: tuple[ServiceEvent, ...] = ()  # newest first, as ECS returns them

    @property
    def primary(self) -> Deployment | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


@dataclass(frozen=True)
class TaskDefinitionArn:
    arn: str

    @property
    def family(self) -> str:
        return self.arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]

    @property
    def revision(self) -> int:
        return int(self.arn.rsplit(":", 1)[-1])

    def __str__(self) -> str:
        return f"{self.family}:{self.revision}"


class Services:
    def __init__(self, client: ECSClient) -> None:
        self._ecs = client

    def describe(self, cluster: str, names: Sequence[str]) -> dict[str, ServiceState]:
        """By service name; ServiceMissing when ECS does not know one of them."""
        found: dict[str, ServiceState] = {}
        for start in range(0, len(names), DESCRIBE_BATCH):
            batch = list(names[start : start + DESCRIBE_BATCH])
            with calling(SERVICE, "DescribeServices"):
                answer = self._ecs.describe_services(cluster=cluster, services=batch)
            for raw in answer.get("services", []):
                state = _service(raw)
                found[state.name] = state
        for name in names:
            if name not in found or found[name].status == "INACTIVE":
                raise ServiceMissing(cluster, name)
        return found

    def update(
        self, cluster: str, name: str, task_definition: str, *, force_new_deployment: bool = False
    ) -> None:
        with calling(SERVICE, "UpdateService"):
            self._ecs.update_service(
                cluster=cluster,
                service=name,
                taskDefinition=task_definition,
                forceNewDeployment=force_new_deployment,
            )

    def revisions(self, family: str) -> Iterator[TaskDefinitionArn]:
        """The family's ACTIVE revisions, newest first (the prefix filter is narrowed to it)."""
        paginator = self._ecs.get_paginator("list_task_definitions")
        request = paginator.paginate(familyPrefix=family, status="ACTIVE", sort="DESC")
        for page in pages(SERVICE, "ListTaskDefinitions", request):
            for arn in page.get("taskDefinitionArns", []):
                if (revision := TaskDefinitionArn(arn)).family == family:
                    yield revision

    def latest(self, family: str) -> TaskDefinitionArn | None:
        return next(self.revisions(family), None)

    def previous(self, family: str, current: str) -> TaskDefinitionArn | None:
        """The newest ACTIVE revision older than `current`, or None."""
        below = TaskDefinitionArn(current).revision
        return next((r for r in self.revisions(family) if r.revision < below), None)


def _service(raw: Any) -> ServiceState:
    return ServiceState(
        name=raw["serviceName"],
        status=raw.get("status", ""),
        task_definition=raw.get("taskDefinition", ""),
        running=raw.get("runningCount", 0),
        desired=raw.get("desiredCount", 0),
        deployments=tuple(_deployment(d) for d in raw.get("deployments", [])),
        events=tuple(
            ServiceEvent(id=e.get("id", ""), message=e.get("message", ""))
            for e in raw.get("events", [])
        ),
    )


def _deployment(raw: Any) -> Deployment:
    return Deployment(
        id=raw.get("id", ""),
        status=raw.get("status", ""),
        task_definition=raw.get("taskDefinition", ""),
        rollout_state=raw.get("rolloutState"),
        rollout_reason=raw.get("rolloutStateReason", ""),
        running=raw.get("runningCount", 0),
        desired=raw.get("desiredCount", 0),
        failed_tasks=raw.get("failedTasks", 0),
    )
