"""A Plan is data: actions on instances, per service. Executor runs it, render prints it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never


@dataclass(frozen=True)
class Start:
    """Start new instances of `service` at `release` (ids chosen by the planner's caller)."""

    service: str
    release: int
    ids: tuple[str, ...]


@dataclass(frozen=True)
class AwaitHealthy:
    """The health gate: every instance must pass, or the rollout stops (circuit breaker)."""

    service: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    service: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Drain:
    """Take instances out of rotation and wait for their in-flight requests (deregistration)."""

    service: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Stop:
    service: str
    ids: tuple[str, ...]


Action = Start | AwaitHealthy | Route | Drain | Stop


@dataclass(frozen=True)
class Plan:
    """`tracks` run side by side, one per service; `then` runs once every track got through.
    A rollout's tracks start, gate and route the new instances; `then` retires the old ones,
    so a service failing its gate leaves every service's old instances serving."""

    tracks: tuple[tuple[Action, ...], ...] = ()
    then: tuple[Action, ...] = ()

    @classmethod
    def serial(cls, *actions: Action) -> Plan:
        return cls((actions,) if actions else ())

    @property
    def actions(self) -> tuple[Action, ...]:
        """Every action, tracks first (in service order), then the retirements."""
        return tuple(a for track in self.tracks for a in track) + self.then

    def __bool__(self) -> bool:
        return bool(self.actions)

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.tracks + other.tracks, self.then + other.then)


def render(plan: Plan) -> list[str]:
    """What `--dry-run` prints: the same plan the executor would run. Services rolling out side
    by side are listed under a heading, what waits for all of them under another."""
    if len(plan.tracks) <= 1:
        return [_step(a) for a in plan.actions]
    names = ", ".join(track[0].service for track in plan.tracks)
    lines = [f"side by side ({names}):"]
    lines += [f"  {_step(a)}" for track in plan.tracks for a in track]
    if plan.then:
        lines.append("once every service passed its gate:")
        lines += [f"  {_step(a)}" for a in plan.then]
    return lines


def _step(action: Action) -> str:
    ids = ", ".join(action.ids)
    match action:
        case Start(service=service, release=release):
            return f"start {service} v{release}: {ids}"
        case AwaitHealthy(service=service):
            return f"wait for {service} health: {ids}"
        case Route(service=service):
            return f"route traffic to {service}: {ids}"
        case Drain(service=service):
            return f"drain {service}: {ids}"
        case Stop(service=service):
            return f"stop {service}: {ids}"
        case _:
            assert_never(action)
