"""Roll back: each service straight to its previous task definition revision, in ECS, without
CloudFormation (seconds, not minutes). A record in SSM makes the next deploy reconcile."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from launchdeck.awsdeploy.deploy import ignore, short
from launchdeck.awsdeploy.layout import EnvLayout, layout
from launchdeck.awsdeploy.model import (
    DeployEvent,
    Phase,
    RollbackResult,
    RolledBack,
    Waits,
)
from launchdeck.awsdeploy.ports import AwsApis, ServiceApi
from launchdeck.awsdeploy.record import RollbackRecord, write_record
from launchdeck.awsdeploy.rollout import RolloutWatcher
from launchdeck.drivers.aws.errors import NoPreviousRevision, StackBusy, StackMissing
from launchdeck.drivers.aws.names import env_stack
from launchdeck.system.clock import SYSTEM_CLOCK, Clock


def rollback(
    aws: AwsApis,
    app: str,
    env: str,
    services: Sequence[str],
    *,
    on_event: Callable[[DeployEvent], None] = ignore,
    clock: Clock = SYSTEM_CLOCK,
    waits: Waits = Waits(),
) -> RollbackResult:
    """All services or none: every one needs an older revision before any is touched."""
    name = env_stack(app, env)
    stack = aws.stacks.describe(name)
    if stack is None:
        raise StackMissing(name, why=f"nothing to roll back: {env} was never deployed")
    if stack.busy:
        raise StackBusy(name, stack.status)
    where = layout(stack, services)
    moves = plan_moves(aws.services, where)
    # The record goes first: if we stop half-way, the next deploy still reconciles.
    targets = {move.service: move.to_revision for move in moves}
    write_record(aws.parameters, app, env, RollbackRecord(at=clock.now(), services=targets))
    for move in moves:
        aws.services.update(where.cluster, where.services[move.service].name, move.to_revision)
        on_event(Phase(f"{move.service}: rolling back to {short(move.to_revision)}"))
    watcher = RolloutWatcher(aws.services, on_event=on_event, clock=clock, waits=waits)
    watcher.wait(
        where.cluster,
        where.names(),
        expect={where.services[m.service].name: m.to_revision for m in moves},
    )
    on_event(Phase(f"{app} {env} rolled back; the next deploy returns it to its stack's revisions"))
    return RollbackResult(app, env, tuple(moves))


def plan_moves(services: ServiceApi, where: EnvLayout) -> list[RolledBack]:
    """Each service's move to its previous revision; NoPreviousRevision for the first without."""
    states = services.describe(where.cluster, where.names())
    moves = []
    for lay in where.services.values():
        current = states[lay.name].task_definition
        previous = services.previous(lay.family, current)
        if previous is None:
            raise NoPreviousRevision(lay.service, lay.family, current)
        moves.append(RolledBack(lay.service, current, previous.arn))
    return moves
