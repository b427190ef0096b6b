"""Desired (release + scale per service) vs actual instances -> a rolling Plan.

The batches keep at least `count - max_unavailable` healthy instances serving and never run more
than `count + max_surge`; by default (surge 100%, unavailable 0) every new instance starts at once
and the old ones leave only after the new ones pass their health gate.

Services roll out side by side (a track each). What a track ends with, routing its last batch
and retiring the old instances, waits until every track has passed its gates: a release goes
live as a whole, and one service failing its gate leaves every old instance serving alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from launchdeck.domain import Instance, InstanceState, ServiceSpec
from launchdeck.planning.plan import Action, AwaitHealthy, Drain, Plan, Route, Start, Stop

NewId = Callable[[str], str]  # service name -> a fresh instance id


@dataclass(frozen=True)
class Desired:
    release: int
    services: Mapping[str, ServiceSpec]
    counts: Mapping[str, int]
    replace: frozenset[str] = field(default_factory=frozenset)  # services to restart in place


def plan_rollout(desired: Desired, actual: Sequence[Instance], new_id: NewId) -> Plan:
    tracks: list[tuple[Action, ...]] = []
    routes: list[Action] = []
    retires: list[Action] = []
    live = [i for i in actual if i.live]
    ordered = sorted(desired.services.values(), key=lambda s: (not s.routed, s.name))
    for spec in ordered:
        mine = [i for i in live if i.service == spec.name]
        track, route, retire = _split_tail(_plan_service(spec, desired, mine, new_id))
        tracks += [track] if track else []
        routes += route
        retires += retire
    for gone in sorted({i.service for i in live} - set(desired.services)):
        ids = tuple(i.id for i in live if i.service == gone)
        retires += [Drain(gone, ids), Stop(gone, ids)]
    return Plan(tuple(tracks), tuple(routes + retires))


def _split_tail(
    actions: list[Action],
) -> tuple[tuple[Action, ...], list[Action], list[Action]]:
    """A service's track, and what it ends with: routing its last batch and retiring the old,
    which wait for every track's gates (the release goes live as a whole)."""
    cut = len(actions)
    while cut > 0 and isinstance(actions[cut - 1], Drain | Stop):
        cut -= 1
    retire = actions[cut:]
    route = cut > 0 and isinstance(actions[cut - 1], Route)
    if route:
        cut -= 1
    return tuple(actions[:cut]), actions[cut : cut + 1] if route else [], retire


def _plan_service(
    spec: ServiceSpec, desired: Desired, current: list[Instance], new_id: NewId
) -> list[Action]:
    count = desired.counts.get(spec.name, 0)
    restart = spec.name in desired.replace
    keep = [
        i
        for i in current
        if i.release == desired.release and i.state == InstanceState.RUNNING and not restart
    ][:count]
    serving = [i for i in current if i not in keep and i.state == InstanceState.RUNNING]
    stale = [i for i in current if i not in keep and i not in serving]
    actions: list[Action] = []
    if stale:  # interrupted starts and half-drained instances serve nobody: clear them first
        actions += _retire(spec.name, stale)
    need = count - len(keep)
    surge = spec.rollout.max_surge.resolve(count)
    unavailable = min(spec.rollout.max_unavailable.resolve(count), count)
    if surge <= 0 and unavailable <= 0:
        surge = 1
    while need > 0:
        early = serving[: min(unavailable, len(serving))]
        serving = serving[len(early) :]
        if early:
            actions += _retire(spec.name, early)
        batch = tuple(new_id(spec.name) for _ in range(min(need, surge + len(early)) or 1))
        need -= len(batch)
        actions.append(Start(spec.name, desired.release, batch))
        actions.append(AwaitHealthy(spec.name, batch))
        if spec.routed:
            actions.append(Route(spec.name, batch))
        keep_count = count - need
        excess = len(serving) + keep_count - count
        late, serving = serving[: max(0, excess)], serving[max(0, excess) :]
        if late:
            actions += _retire(spec.name, late)
    if serving:
        actions += _retire(spec.name, serving)
    return actions


def _retire(service: str, instances: Sequence[Instance]) -> list[Action]:
    ids = tuple(i.id for i in instances)
    return [Drain(service, ids), Stop(service, ids)]
