"""An environment as its stack describes it: the stack itself, and from its outputs the cluster,
the URL and each service's ECS name, task family and log group, and where a one-off task runs,
read by the names synthesis wrote (drivers/aws/names.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from launchdeck.awsdeploy.ports import StackApi
from launchdeck.drivers.aws.clients import Stack
from launchdeck.drivers.aws.errors import OutputMissing, StackMissing
from launchdeck.drivers.aws.names import (
    CLUSTER_OUTPUT,
    RUN_FAMILY_OUTPUT,
    RUN_LOG_GROUP_OUTPUT,
    SECURITY_GROUP_OUTPUT,
    SUBNETS_OUTPUT,
    URL_OUTPUT,
    env_stack,
    service_outputs,
)


def deployed(stacks: StackApi, app: str, env: str) -> Stack:
    """The environment's stack; StackMissing when it was never deployed."""
    name = env_stack(app, env)
    stack = stacks.describe(name)
    if stack is None:
        raise StackMissing(
            name,
            why=f"{env} was never deployed",
            fix=f"deploy {env} first (launchdeck aws deploy --env {env} --image ...)",
        )
    return stack


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

    def service(name: str) -> ServiceLayout:
        keys = service_outputs(name)
        return ServiceLayout(
            service=name,
            name=_output(stack, keys.service_name),
            family=_output(stack, keys.task_family),
            log_group=_output(stack, keys.log_group),
        )

    return EnvLayout(
        stack=stack.name,
        cluster=_output(stack, CLUSTER_OUTPUT),
        url=stack.outputs.get(URL_OUTPUT, ""),
        services={s: service(s) for s in services},
    )


@dataclass(frozen=True)
class RunLayout:
    """Where a one-off task of the environment runs, as the services' tasks do."""

    cluster: str
    family: str
    log_group: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]


def run_layout(stack: Stack) -> RunLayout:
    return RunLayout(
        cluster=_output(stack, CLUSTER_OUTPUT),
        family=_output(stack, RUN_FAMILY_OUTPUT),
        log_group=_output(stack, RUN_LOG_GROUP_OUTPUT),
        subnets=tuple(_output(stack, SUBNETS_OUTPUT).split(",")),
        security_groups=(_output(stack, SECURITY_GROUP_OUTPUT),),
    )


def _output(stack: Stack, key: str) -> str:
    value = stack.outputs.get(key)
    if not value:
        raise OutputMissing(stack.name, key)
    return value
