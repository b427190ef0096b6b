"""A Plan is data: an ordered list of actions on instances. Executor runs it, render prints it."""

from __future__ import annotations

from dataclasses import dataclass


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
    actions: tuple[Action, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.actions)

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.actions + other.actions)


def render(plan: Plan) -> list[str]:
    """What `--dry-run` prints: the same plan the executor would run."""
    lines = []
    for action in plan.actions:
        ids = ", ".join(action.ids)
        match action:
            case Start(service=service, release=release):
                lines.append(f"start {service} v{release}: {ids}")
            case AwaitHealthy(service=service):
                lines.append(f"wait for {service} health: {ids}")
            case Route(service=service):
                lines.append(f"route traffic to {service}: {ids}")
            case Drain(service=service):
                lines.append(f"drain {service}: {ids}")
            case Stop(service=service):
                lines.append(f"stop {service}: {ids}")
    return lines
