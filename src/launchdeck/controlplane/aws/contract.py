"""The deploy contract with template synthesis: stack, repository and parameter names, and the
outputs an environment stack promises. Synthesis writes these names; the use cases read them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from launchdeck.drivers.aws.clients import Stack
from launchdeck.drivers.aws.faults import OutputMissing

IMAGE_PARAMETER = "ImageDigest"
CLUSTER_OUTPUT = "ClusterName"
URL_OUTPUT = "Url"


def shared_stack(app: str) -> str:
    return f"launchdeck-{app}"


def env_stack(app: str, env: str) -> str:
    return f"launchdeck-{app}-{env}"


def repository(app: str, service: str) -> str:
    return f"launchdeck/{app}/{service}"


def rollback_record(app: str, env: str) -> str:
    """The SSM parameter that says an environment's services run an older revision."""
    return f"/launchdeck/{app}/{env}/rolled-back-to"


def title(service: str) -> str:
    """`web` -> `Web`, `api-v2` -> `ApiV2`: how a service appears in logical ids and outputs."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", service) if part)


def tags(app: str, env: str | None = None) -> dict[str, str]:
    found = {"launchdeck:app": app}
    if env is not None:
        found["launchdeck:env"] = env
    return found


@dataclass(frozen=True)
class ServiceLayout:
    service: str  # the manifest's name
    name: str  # the ECS service name
    family: str  # the task definition family
    log_group: str


@dataclass(frozen=True)
class EnvLayout:
    stack: str
    cluster: str
    url: str
    services: Mapping[str, ServiceLayout]

    def names(self) -> list[str]:
        return [s.name for s in self.services.values()]


def layout(stack: Stack, services: Sequence[str]) -> EnvLayout:
    """The environment's ECS names from the stack's outputs; OutputMissing names what lacks."""

    def output(key: str) -> str:
        value = stack.outputs.get(key)
        if not value:
            raise OutputMissing(stack.name, key)
        return value

    return EnvLayout(
        stack=stack.name,
        cluster=output(CLUSTER_OUTPUT),
        url=stack.outputs.get(URL_OUTPUT, ""),
        services={
            s: ServiceLayout(
                service=s,
                name=output(f"{title(s)}ServiceName"),
                family=output(f"{title(s)}TaskFamily"),
                log_group=output(f"{title(s)}LogGroup"),
            )
            for s in services
        },
    )
