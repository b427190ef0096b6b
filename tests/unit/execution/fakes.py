"""Named fakes for the executor's boundaries: a clock that only moves when slept, a runtime that
keeps instances in memory and scripts their health, a ledger that records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from launchdeck.domain import EventKind, HealthCheck, Instance, Release, ServiceSpec
from tests.clock import ManualClock


class InMemoryRuntime:
    """Health is scripted per instance: `health[id](elapsed) -> bool`; `dies` lists instances
    whose process has exited."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.started: dict[str, float] = {}
        self.health: dict[str, Callable[[float], bool]] = {}
        self.default_health: Callable[[float], bool] = lambda elapsed: elapsed >= 0.3
        self.dies: set[str] = set()
        self.routed: set[str] = set()
        self.draining: set[str] = set()
        self.stopped: list[str] = []
        self.log: list[str] = []
        self.next_port = 30000

    def allocate_port(self, in_use: set[int]) -> int:
        self.next_port += 1
        return self.next_port

    def start(self, inst: Instance, release: Release, service: ServiceSpec) -> Instance:
        self.started[inst.id] = self.clock.monotonic()
        self.log.append(f"start {inst.id}")
        return replace(inst, pid=len(self.started) + 100, started_at=1.0)

    def alive(self, inst: Instance) -> bool:
        return inst.id in self.started and inst.id not in self.dies and inst.id not in self.stopped

    def exit_code(self, inst: Instance) -> int | None:
        return 3 if inst.id in self.dies else None

    def probe(self, inst: Instance, health: HealthCheck) -> bool:
        elapsed = self.clock.monotonic() - self.started[inst.id]
        return self.health.get(inst.id, self.default_health)(elapsed)

    def route(self, inst: Instance) -> None:
        self.routed.add(inst.id)
        self.log.append(f"route {inst.id}")

    def drain(self, inst: Instance) -> None:
        self.draining.add(inst.id)
        self.log.append(f"drain {inst.id}")

    def sessions(self, inst: Instance) -> int:
        return 0

    def unroute(self, inst: Instance, *, timeout: float = 5.0) -> None:
        self.routed.discard(inst.id)
        self.log.append(f"unroute {inst.id}")

    def stop(self, inst: Instance, *, timeout: float) -> None:
        self.stopped.append(inst.id)
        self.log.append(f"stop {inst.id}")

    def log_tail(self, inst: Instance, lines: int = 10) -> str:
        return f"ERROR boom in {inst.id}"


class RecordingLedger:
    def __init__(self) -> None:
        self.instances: dict[str, Instance] = {}
        self.events: list[tuple[EventKind, str]] = []

    def save_instance(self, inst: Instance) -> None:
        self.instances[inst.id] = inst

    def remove_instance(self, inst: Instance) -> None:
        self.instances.pop(inst.id, None)

    def ports_in_use(self) -> set[int]:
        return {i.port for i in self.instances.values() if i.port is not None}

    def event(self, kind: EventKind, message: str) -> None:
        self.events.append((kind, message))
