"""Promote: deploy to one environment the exact digest another one runs. Nothing is rebuilt."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from launchdeck.controlplane.aws.contract import IMAGE_PARAMETER, env_stack
from launchdeck.controlplane.aws.deploy import deploy, ignore
from launchdeck.controlplane.aws.model import ChangeSetSummary, DeployEvent, DeployResult, Waits
from launchdeck.controlplane.aws.ports import AwsApis
from launchdeck.controlplane.aws.record import read_record
from launchdeck.drivers.aws.faults import (
    InvalidRequest,
    NoImageDeployed,
    SourceRolledBack,
    StackBusy,
    StackMissing,
)
from launchdeck.drivers.aws.images import DIGEST, ImageRef
from launchdeck.system.clock import SYSTEM_CLOCK, Clock

NEVER_CREATED = frozenset(
    {"REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"}
)


def promote(
    aws: AwsApis,
    app: str,
    from_env: str,
    to_env: str,
    services: Sequence[str],
    shared_template: str,
    env_template: str,
    *,
    confirm: Callable[[ChangeSetSummary], bool],
    on_event: Callable[[DeployEvent], None] = ignore,
    yes: bool = False,
    clock: Clock = SYSTEM_CLOCK,
    waits: Waits = Waits(),
) -> DeployResult:
    """`env_template` is the target environment's template."""
    digest = running_digest(aws, app, from_env, to_env)
    return deploy(
        aws,
        app,
        to_env,
        services,
        shared_template,
        env_template,
        ImageRef(digest),
        confirm=confirm,
        on_event=on_event,
        yes=yes,
        clock=clock,
        waits=waits,
    )


def running_digest(aws: AwsApis, app: str, from_env: str, to_env: str) -> str:
    """The digest `from_env` runs, read from its stack; refused while that is uncertain."""
    if from_env == to_env:
        raise InvalidRequest(
            f"promote --from and --to are both {from_env!r}: name two environments"
        )
    name = env_stack(app, from_env)
    source = aws.stacks.describe(name)
    if source is None:
        raise StackMissing(
            name, f"deploy {from_env} first (launchdeck aws deploy --env {from_env} --image ...)"
        )
    if source.busy:
        raise StackBusy(name, source.status)
    if source.status in NEVER_CREATED:
        raise NoImageDeployed(name, source.status)
    digest = source.parameters.get(IMAGE_PARAMETER, "")
    if not DIGEST.fullmatch(digest):
        raise NoImageDeployed(name)
    record = read_record(aws.parameters, app, from_env)
    if record is not None:
        raise SourceRolledBack(from_env, sorted(record.services) or ["its services"])
    return digest
