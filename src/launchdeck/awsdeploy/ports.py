"""What the use cases need from AWS, as protocols: the drivers' wrappers satisfy them, and tests
hand in named in-memory fakes. `open_aws` builds the real ones for a session with credentials."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from launchdeck.drivers.aws.clients import (
    ChangeSet,
    ChangeSetRequest,
    ImagePresence,
    LogEvent,
    RunRequest,
    ServiceState,
    Stack,
    StackEvent,
    TaskDefinitionArn,
    TaskState,
    connect,
)
from launchdeck.drivers.aws.credentials import AwsSession


class StackApi(Protocol):
    def describe(self, name: str) -> Stack | None: ...
    def create_change_set(self, request: ChangeSetRequest) -> str | None: ...
    def change_set(self, change_set_id: str) -> ChangeSet: ...
    def execute(self, change_set_id: str) -> None: ...
    def delete_change_set(self, change_set_id: str) -> None: ...
    def events_after(self, stack: str, after: str | None) -> tuple[StackEvent, ...]: ...
    def latest_event_id(self, stack: str) -> str | None: ...


class TemplateApi(Protocol):
    def put(self, bucket: str, stack: str, template: str) -> str: ...  # its https URL


class ServiceApi(Protocol):
    def describe(self, cluster: str, names: Sequence[str]) -> dict[str, ServiceState]: ...

    def update(
        self, cluster: str, name: str, task_definition: str, *, force_new_deployment: bool = False
    ) -> None: ...

    def latest(self, family: str) -> TaskDefinitionArn | None: ...
    def previous(self, family: str, current: str) -> TaskDefinitionArn | None: ...


class LogApi(Protocol):
    def events(self, group: str, start_ms: int) -> Iterator[LogEvent]: ...

    def page(
        self, group: str, stream: str, token: str | None
    ) -> tuple[list[LogEvent], str | None]: ...


class TaskApi(Protocol):
    def run(self, request: RunRequest) -> str: ...  # the task's ARN
    def describe(self, cluster: str, task: str, container: str) -> TaskState | None: ...


class RegistryApi(Protocol):
    def image(self, repository: str, digest: str) -> ImagePresence: ...


class ParameterApi(Protocol):
    def get(self, name: str) -> str | None: ...
    def put(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


@dataclass(frozen=True)
class AwsApis:
    stacks: StackApi
    services: ServiceApi
    logs: LogApi
    registry: RegistryApi
    parameters: ParameterApi
    templates: TemplateApi
    tasks: TaskApi


def open_aws(session: AwsSession, *, endpoint_url: str | None = None) -> AwsApis:
    """The real wrappers, for a session that has credentials (resolve_session finds them before
    any AWS call, or says where it looked)."""
    clients = connect(session, endpoint_url=endpoint_url)
    return AwsApis(
        stacks=clients.stacks,
        services=clients.services,
        logs=clients.logs,
        registry=clients.registry,
        parameters=clients.parameters,
        templates=clients.templates,
        tasks=clients.tasks,
    )
