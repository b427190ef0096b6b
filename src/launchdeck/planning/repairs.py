"""Drift repair as data: what the reconcile loop saw of one environment -> the repairs to make.

The reconciler reads the records, the processes and the router into a `Snapshot`, calls
`plan_repairs` with what it remembers from earlier passes (`RepairState`) and the time, and runs
the actions that come back. The rules:

- an instance whose pid was lost in an interrupted start is adopted when its pidfile names it;
- an instance whose process is gone is forgotten; if it was starting or running, it crashed;
- a running instance the router has reported DOWN for a whole failure window (`unhealthy`
  checks `interval` apart) since this loop first saw it DOWN is retired: that counts as a crash;
- running instances missing from the router are routed; servers of unknown instances removed;
- every service is brought back to its desired count by a rollout plan, unless a service in that
  plan is backing off: the first crash is replaced at once, the next ones 1s, 2s, 4s ... up to a
  minute after the last crash; crashes older than five minutes no longer count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import assert_never

from launchdeck.domain import Instance, InstanceState
from launchdeck.planning.plan import Plan
from launchdeck.planning.rollout import Desired, NewId, plan_rollout

BACKOFF_BASE = 1.0
BACKOFF_MAX = 60.0
CRASH_WINDOW = 300.0  # crashes older than this no longer lengthen the backoff

_RUNNING, _STARTING = InstanceState.RUNNING, InstanceState.STARTING


# -- what the reconciler saw, and what it remembers -----------------------------------------


@dataclass(frozen=True)
class Observed:
    """One recorded instance as the reconciler found it."""

    instance: Instance  # as recorded, with a pid found in its pidfile filled in
    alive: bool
    adopted: bool = False  # its pid was found just now: the record lacks it


@dataclass(frozen=True)
class Snapshot:
    app: str
    env: str
    instances: tuple[Observed, ...]
    desired: Desired | None = None  # None: no current release, only gone instances are cleared
    routed: Mapping[str, frozenset[str]] = field(default_factory=dict)  # service -> servers
    down: Mapping[str, frozenset[str]] = field(default_factory=dict)  # service -> servers DOWN


@dataclass(frozen=True)
class RepairState:
    """What the loop carries from one pass to the next for one environment."""

    crashes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # service -> times
    down_since: Mapping[str, float] = field(default_factory=dict)  # instance id -> first DOWN

    def crashed(self, services: Iterable[str], at: float) -> RepairState:
        crashes = dict(self.crashes)
        for service in services:
            crashes[service] = (*crashes.get(service, ()), at)
        return RepairState(crashes, self.down_since)


# -- the actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RestartRouter:
    """HAProxy is not running: start it again from its recorded config."""


@dataclass(frozen=True)
class AdoptInstance:
    """Record the pid of an instance whose start was interrupted before its pid was saved."""

    instance: Instance


@dataclass(frozen=True)
class ForgetGone:
    """The instance's process is gone: take it out of the router and the records."""

    instance: Instance
    crashed: bool  # it was starting or running: it counts toward its service's backoff


@dataclass(frozen=True)
class RetireFailing:
    """A running instance failed its health check for a whole window: stop it, like a crash."""

    instance: Instance
    down_for: float  # seconds since this loop first saw it DOWN
    health_path: str
    stop_timeout: float


@dataclass(frozen=True)
class RouteInstance:
    """A running instance the router does not know: put it back in rotation."""

    instance: Instance


@dataclass(frozen=True)
class UnrouteServer:
    """A router server whose instance no longer exists."""

    app: str
    env: str
    service: str
    server: str


@dataclass(frozen=True)
class HoldBack:
    """A service crashed again recently: the rollout that replaces instances waits."""

    service: str
    crashes: int  # within CRASH_WINDOW
    delay: float  # after the last crash
    retry_at: float  # monotonic time from which the rollout may run


@dataclass(frozen=True)
class Converge:
    """Run the rollout that brings every service back to its desired count."""

    rollout: Plan
    instances: tuple[Instance, ...]  # the live instances it starts from

    @property
    def services(self) -> frozenset[str]:
        return frozenset(a.service for a in self.rollout.actions)


EnvRepair = (
    AdoptInstance | ForgetGone | RetireFailing | RouteInstance | UnrouteServer | HoldBack | Converge
)
Repair = RestartRouter | EnvRepair


@dataclass(frozen=True)
class Repairs:
    actions: tuple[EnvRepair, ...]
    state: RepairState  # to pass to the next pass

    def __bool__(self) -> bool:
        return bool(self.actions)


# -- the decisions ---------------------------------------------------------------------------


def plan_router(running: bool) -> tuple[RestartRouter, ...]:
    return () if running else (RestartRouter(),)


def backoff_delay(crashes: int) -> float:
    """Seconds between the last of `crashes` recent crashes and the next replacement."""
    if crashes <= 1:
        return 0.0
    return min(BACKOFF_BASE * 2.0 ** (crashes - 2), BACKOFF_MAX)


def plan_repairs(snap: Snapshot, state: RepairState, *, now: float, new_id: NewId) -> Repairs:
    live = [o.instance for o in snap.instances if o.alive]
    gone = [
        ForgetGone(o.instance, crashed=o.instance.state in (_RUNNING, _STARTING))
        for o in snap.instances
        if not o.alive
    ]
    actions: list[EnvRepair] = [
        AdoptInstance(o.instance) for o in snap.instances if o.adopted and o.alive
    ]
    actions += gone
    state = state.crashed([g.instance.service for g in gone if g.crashed], now)
    if snap.desired is None:
        return Repairs(tuple(actions), RepairState(_recent(state.crashes, now)))
    failing, down_since = _failing(snap.desired, snap.down, live, state.down_since, now)
    actions += failing
    state = state.crashed([f.instance.service for f in failing], now)
    retired = {f.instance.id for f in failing}
    live = [i for i in live if i.id not in retired]
    actions += _routes(snap, snap.desired, live)
    crashes = _recent(state.crashes, now)
    rollout = plan_rollout(snap.desired, live, new_id)
    if rollout:
        held = _held(rollout, crashes, now)
        actions += held or [Converge(rollout, tuple(live))]
    return Repairs(tuple(actions), RepairState(crashes, down_since))


def _failing(
    desired: Desired,
    down: Mapping[str, frozenset[str]],
    live: list[Instance],
    down_since: Mapping[str, float],
    now: float,
) -> tuple[list[RetireFailing], dict[str, float]]:
    """Running instances DOWN for a whole window, and since when the others have been DOWN."""
    failing, still_down = [], {}
    for spec in desired.services.values():
        if spec.health is None or not spec.routed:
            continue
        window = spec.health.interval * spec.health.unhealthy
        for inst in live:
            if inst.service != spec.name or inst.state != _RUNNING:
                continue
            if inst.id not in down.get(spec.name, frozenset()):
                continue
            since = down_since.get(inst.id, now)
            if now - since >= window:
                failing.append(
                    RetireFailing(inst, now - since, spec.health.path, spec.stop_timeout)
                )
            else:
                still_down[inst.id] = since
    return failing, still_down


def _routes(snap: Snapshot, desired: Desired, live: list[Instance]) -> list[EnvRepair]:
    """Running instances belong in the router; servers of instances never recorded do not
    (a gone or retired instance leaves the router with its own action)."""
    known = {o.instance.id for o in snap.instances}
    actions: list[EnvRepair] = []
    for spec in desired.services.values():
        if not spec.routed:
            continue
        routed = snap.routed.get(spec.name, frozenset())
        actions += [
            RouteInstance(i)
            for i in live
            if i.service == spec.name and i.state == _RUNNING and i.id not in routed
        ]
        actions += [
            UnrouteServer(snap.app, snap.env, spec.name, server)
            for server in sorted(routed - known)
        ]
    return actions


def _recent(crashes: Mapping[str, tuple[float, ...]], now: float) -> dict[str, tuple[float, ...]]:
    recent = {s: tuple(t for t in times if now - t < CRASH_WINDOW) for s, times in crashes.items()}
    return {s: times for s, times in recent.items() if times}


def _held(rollout: Plan, crashes: Mapping[str, tuple[float, ...]], now: float) -> list[EnvRepair]:
    held: list[EnvRepair] = []
    for service in sorted({a.service for a in rollout.actions}):
        times = crashes.get(service, ())
        if not times:
            continue
        delay = backoff_delay(len(times))
        if now - times[-1] < delay:
            held.append(HoldBack(service, len(times), delay, times[-1] + delay))
    return held


# -- what the log says -----------------------------------------------------------------------


def describe(action: Repair) -> str:
    """One line per decision, with the figures that drove it."""
    match action:
        case RestartRouter():
            return "router was not running: restarting HAProxy from its config"
        case AdoptInstance(instance=i):
            return f"adopting instance {i.id} (pid {i.pid}) from its pidfile"
        case ForgetGone(instance=i, crashed=crashed):
            return f"instance {i.id} (pid {i.pid}) is gone" + (" (crashed)" if crashed else "")
        case RetireFailing(instance=i, down_for=down_for, health_path=path):
            return (
                f"instance {i.id} fails its health check (GET {path}, down {down_for:.1f}s): "
                "replacing it"
            )
        case RouteInstance(instance=i):
            return f"instance {i.id} is running but not in the router: routing it"
        case UnrouteServer(service=service, server=server):
            return f"router server {server} of {service} has no instance: removing it"
        case HoldBack(service=service, crashes=n, delay=delay):
            return (
                f"{service} crashed {n} times in {CRASH_WINDOW:g}s: replacing it "
                f"{delay:g}s after the last crash"
            )
        case Converge():
            return f"bringing {', '.join(sorted(action.services))} back to the desired count"
        case _:
            assert_never(action)
