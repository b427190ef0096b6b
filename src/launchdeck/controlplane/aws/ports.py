"""What the use cases need from AWS, as protocols: the drivers' wrappers satisfy them, and tests
hand in named in-memory fakes. `open_aws` finds credentials first, then builds the real ones."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from launchdeck.drivers.aws.clients import (
    ChangeSet,
    ImagePresence,
    LogEvent,
    ServiceState,
    Stack,
    StackEvent,
    TaskDefinitionArn,
    connect,
)
from launchdeck.drivers.aws.credentials import resolve_session


class StackApi(Protocol):
    def describe(self, name: str) -> Stack | None: ...

    def create_change_set(
        self,
        stack: str,
        name: str,
        template: str,
        *,
        create: bool,
        parameters: Mapping[str, str],
        keep: Collection[str] = (),
        tags: Mapping[str, str] | None = None,
    ) -> str | None: ...

    def change_set(self, change_set_id: str) -> ChangeSet: ...
    def execute(self, change_set_id: str) -> None: ...
    def delete_change_set(self, change_set_id: str) -> None: ...
    def events_after(self, stack: str, after: str | None) -> tuple[StackEvent, ...]: ...
    def latest_event_id(self, stack: str) -> str | None: ...


class ServiceApi(Protocol):
    def describe(self, cluster: str, names: Sequence[str]) -> dict[str, ServiceState]: ...

    def update(
        self, cluster: str, name: str, task_definition: str, *, force_new_deployment: bool = False
    ) -> None: ...

    def latest(self, family: str) -> TaskDefinitionArn | None: ...
    def previous(self, family: str, current: str) -> TaskDefinitionArn | None: ...


class LogApi(Protocol):
    def events(self, group: str, start_ms: int) -> Iterator[LogEvent]: ...


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


def open_aws(
    region: str,
    *,
    environ: Mapping[str, str] = os.environ,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> AwsApis:
    """Credentials are looked for before anything else: none raises CredentialsNotFound."""
    clients = connect(resolve_session(region, environ, profile=profile), endpoint_url=endpoint_url)
    return AwsApis(
        stacks=clients.stacks,
        services=clients.services,
        logs=clients.logs,
        registry=clients.registry,
        parameters=clients.parameters,
    )
