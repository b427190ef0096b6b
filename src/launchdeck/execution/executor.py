"""Runs a Plan against a Runtime: its tracks side by side (a thread each), then its retirements.
On a failed health gate it is the circuit breaker: the other tracks stop where they are, every
instance the run started is removed, and the instances it had not yet retired keep serving."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import assert_never

from launchdeck.domain import EventKind, Health, Instance, InstanceState, Release, ServiceSpec
from launchdeck.execution.drainer import Drainer
from launchdeck.execution.gate import GateFailed, GateStopped, HealthGate
from launchdeck.execution.runtime import Ledger, Runtime
from launchdeck.planning import Action, AwaitHealthy, Drain, Plan, Route, Start, Stop
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
        self._lock = threading.Lock()  # tracks pick ports one at a time
        self._stopping = threading.Event()  # a track failed: the others stop
        self._failure: BaseException | None = None

    def run(self, plan: Plan) -> None:
        self.go_live(plan)
        self.retire(plan)

    def go_live(self, plan: Plan) -> None:
        """Everything up to the old instances drained: traffic has moved to the new ones."""
        try:
            self._run_tracks(plan.tracks)
            for action in plan.then:
                if not isinstance(action, Stop):
                    self._do(action)
        except GateFailed as failed:
            tail = self.runtime.log_tail(failed.instance, 10)
            self.ledger.event(EventKind.GATE_FAILED, failed.reason)
            self.remove_started()
            raise RolloutFailed(failed.reason, tail) from None

    def retire(self, plan: Plan) -> None:
        """Stop the drained instances: no request reaches them any more, so nothing that
        reports the rollout needs to wait for this."""
        for action in plan.then:
            if isinstance(action, Stop):
                self._do(action)

    def _run_tracks(self, tracks: tuple[tuple[Action, ...], ...]) -> None:
        """One track runs in this thread; more run side by side. The first to fail stops the
        others at their next step (or health probe) and its error is raised."""
        if len(tracks) <= 1:
            for action in (a for track in tracks for a in track):
                self._do(action)
            return
        with ThreadPoolExecutor(max_workers=len(tracks)) as pool:
            for track in tracks:
                pool.submit(self._run_track, track)
        if self._failure is not None:
            raise self._failure

    def _run_track(self, track: tuple[Action, ...]) -> None:
        try:
            for action in track:
                if self._stopping.is_set():
                    return
                self._do(action)
        except GateStopped:
            return
        except BaseException as exc:  # raised by run() once every track has stopped
            with self._lock:
                self._failure = self._failure or exc
            self._stopping.set()

    def _do(self, action: Action) -> None:
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
            inst = self._record_start(inst_id, release, spec)
            inst = self.runtime.start(inst, release, spec)
            self._save(inst)
            where = f" on port {inst.port}" if inst.port is not None else ""
            self.ledger.event(
                EventKind.INSTANCE_STARTED, f"{inst_id} started ({spec.name} {release.name}{where})"
            )

    def _record_start(self, inst_id: str, release: Release, spec: ServiceSpec) -> Instance:
        """Recorded before it exists, so a crash cannot orphan it; with its port taken under
        the lock, so tracks side by side never pick the same one."""
        with self._lock:
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
            self.ledger.save_instance(inst)
            self.started.append(inst_id)
        return inst

    def _await(self, action: AwaitHealthy) -> None:
        batch = [self.instances[i] for i in action.ids]
        spec = self._spec(batch[0])
        self.gate.wait(batch, spec.health, stop=self._stopping.is_set)
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

    def remove_started(self) -> None:
        """The circuit breaker: remove everything this run started (at once, or after a
        canary's analysis failed); what it had not retired keeps serving."""
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
