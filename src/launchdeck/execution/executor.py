"""Runs a Plan against a Runtime. On a failed health gate it is the circuit breaker: it removes
every instance it started and leaves the instances it had not yet retired serving."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import assert_never

from launchdeck.domain import EventKind, Health, Instance, InstanceState, Release, ServiceSpec
from launchdeck.execution.drainer import Drainer
from launchdeck.execution.gate import GateFailed, HealthGate
from launchdeck.execution.runtime import Ledger, Runtime
from launchdeck.planning import AwaitHealthy, Drain, Plan, Route, Start, Stop
from launchdeck.system import SYSTEM_CLOCK, Clock


class RolloutFailed(Exception):
    def __init__(self, reason: str, log_tail: str = "") -> None:
        self.reason = reason
        self.log_tail = log_tail
        super().__init__(reason)


class Executor:
    def __init__(
        self,
        runtime: Runtime,
        ledger: Ledger,
        *,
        app: str,
        env: str,
        releases: Callable[[int], Release],
        instances: Mapping[str, Instance],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.runtime, self.ledger = runtime, ledger
        self.app, self.env = app, env
        self.releases = releases
        self.instances: dict[str, Instance] = dict(instances)
        self.clock = clock
        self.gate = HealthGate(runtime, clock=clock)
        self.drainer = Drainer(runtime, clock=clock)
        self.started: list[str] = []

    def run(self, plan: Plan) -> None:
        try:
            for action in plan.actions:
                self._do(action)
        except GateFailed as failed:
            tail = self.runtime.log_tail(failed.instance, 10)
            self.ledger.event(EventKind.GATE_FAILED, failed.reason)
            self._break_circuit()
            raise RolloutFailed(failed.reason, tail) from None

    def _do(self, action: Start | AwaitHealthy | Route | Drain | Stop) -> None:
        match action:
            case Start():
                self._start(action)
            case AwaitHealthy():
                self._await(action)
            case Route():
                self._route(action)
            case Drain():
                self._drain(action)
            case Stop():
                self._stop(action)
            case _:
                assert_never(action)

    def _spec(self, inst: Instance) -> ServiceSpec:
        return self.releases(inst.release).services[inst.service]

    def _start(self, action: Start) -> None:
        release = self.releases(action.release)
        spec = release.services[action.service]
        for inst_id in action.ids:
            port = self.runtime.allocate_port(self.ledger.ports_in_use()) if spec.routed else None
            inst = Instance(
                id=inst_id,
                app=self.app,
                env=self.env,
                service=spec.name,
                release=release.version,
                state=InstanceState.STARTING,
                port=port,
                health=Health.UNKNOWN if spec.routed else Health.NO_CHECK,
            )
            self.ledger.save_instance(inst)  # recorded before it exists: a crash cannot orphan it
            self.started.append(inst_id)
            inst = self.runtime.start(inst, release, spec)
            self._save(inst)
            where = f" on port {port}" if port is not None else ""
            self.ledger.event(
                EventKind.INSTANCE_STARTED, f"{inst_id} started ({spec.name} {release.name}{where})"
            )

    def _await(self, action: AwaitHealthy) -> None:
        batch = [self.instances[i] for i in action.ids]
        spec = self._spec(batch[0])
        self.gate.wait(batch, spec.health)
        health = Health.HEALTHY if spec.routed else Health.NO_CHECK
        for inst in batch:
            self._save(replace(inst, state=InstanceState.RUNNING, health=health))
            self.ledger.event(EventKind.INSTANCE_HEALTHY, f"{inst.id} is healthy")

    def _route(self, action: Route) -> None:
        for inst_id in action.ids:
            self.runtime.route(self.instances[inst_id])
            self.ledger.event(EventKind.INSTANCE_ROUTED, f"{inst_id} receives traffic")

    def _drain(self, action: Drain) -> None:
        batch = [self.instances[i] for i in action.ids if i in self.instances]
        if not batch:
            return
        delay = max(self._spec_or_default(i).drain for i in batch)
        for inst in batch:
            self._save(replace(inst, state=InstanceState.DRAINING))
        self.drainer.drain(batch, delay=delay)
        self.ledger.event(EventKind.DRAINED, f"drained {', '.join(action.ids)}")

    def _stop(self, action: Stop) -> None:
        """Stop the batch together: each waits up to its stop_timeout for a graceful exit."""
        batch = [i for i in (self.instances.pop(i, None) for i in action.ids) if i is not None]
        with ThreadPoolExecutor(max_workers=max(1, len(batch))) as pool:
            stops = [
                pool.submit(self.runtime.stop, i, timeout=self._spec_or_default(i).stop_timeout)
                for i in batch
            ]
        for stop in stops:
            stop.result()  # a failure to stop is a bug worth seeing, not swallowing
        for inst in batch:
            self.ledger.remove_instance(inst)
            self.ledger.event(EventKind.INSTANCE_STOPPED, f"{inst.id} stopped")

    def _spec_or_default(self, inst: Instance) -> ServiceSpec:
        try:
            return self._spec(inst)
        except KeyError:
            return ServiceSpec(name=inst.service, command="", port=inst.port is not None)

    def _save(self, inst: Instance) -> None:
        self.instances[inst.id] = inst
        self.ledger.save_instance(inst)

    def _break_circuit(self) -> None:
        """Remove everything this run started; what it had not retired keeps serving."""
        for inst_id in self.started:
            inst = self.instances.pop(inst_id, None)
            if inst is None:
                continue
            if inst.port is not None:
                with contextlib.suppress(Exception):  # it may never have been routed
                    self.runtime.unroute(inst, timeout=1.0)
            self.runtime.stop(inst, timeout=self._spec_or_default(inst).stop_timeout)
            self.ledger.remove_instance(inst)
            self.ledger.event(EventKind.INSTANCE_STOPPED, f"{inst_id} stopped (rolled back)")
