"""Status: what an environment runs on AWS right now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from launchdeck.awsdeploy.deploy import short
from launchdeck.awsdeploy.layout import deployed, layout
from launchdeck.awsdeploy.model import EnvStatus, ServiceStatus
from launchdeck.awsdeploy.ports import AwsApis
from launchdeck.awsdeploy.record import read_record
from launchdeck.drivers.aws.errors import OutputMissing
from launchdeck.drivers.aws.names import IMAGE_PARAMETER, URL_OUTPUT


def status(aws: AwsApis, app: str, env: str, services: Sequence[str]) -> EnvStatus:
    stack = deployed(aws.stacks, app, env)
    record = read_record(aws.parameters, app, env)
    found = EnvStatus(
        app=app,
        env=env,
        stack=stack.name,
        stack_status=stack.status,
        digest=stack.parameters.get(IMAGE_PARAMETER, ""),
        url=stack.outputs.get(URL_OUTPUT, ""),
        rolled_back_to=dict(record.services) if record else {},
    )
    try:
        where = layout(stack, services)
    except OutputMissing:
        if stack.busy or not stack.created:
            return found  # being created: no services to show yet
        raise
    states = aws.services.describe(where.cluster, where.names())
    rows = []
    for lay in where.services.values():
        state = states[lay.name]
        primary = state.primary
        rows.append(
            ServiceStatus(
                service=lay.service,
                running=state.running,
                desired=state.desired,
                rollout_state=(primary.rollout_state or "") if primary else "",
                task_definition=short(state.task_definition),
                deployments=len(state.deployments),
            )
        )
    return replace(found, services=tuple(rows))
