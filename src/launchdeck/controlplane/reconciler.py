"""The reconcile loop: desired (current release + formation) vs actual (live processes, router).

It replaces crashed instances with exponential backoff, restarts a killed HAProxy and killed
add-on servers (PostgreSQL, Redis), puts running instances the router lost back in rotation, and
leaves an environment alone while a deployment runs on it."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from launchdeck.controlplane.engine import Engine, new_instance_id
from launchdeck.controlplane.store import EnvState
from launchdeck.domain import Instance, InstanceState, ServiceSpec
from launchdeck.drivers.local.addons import AddonError
from launchdeck.execution import RolloutFailed
from launchdeck.planning import Action, Desired, plan_rollout
from launchdeck.system import SYSTEM_CLOCK, Clock

log = logging.getLogger("launchdeck.reconciler")

BACKOFF_BASE = 1.0
BACKOFF_MAX = 60.0
CRASH_WINDOW = 300.0  # crashes older than this no longer lengthen the backoff


class Reconciler:
    def __init__(
        self, engine: Engine, *, interval: float = 0.5, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.engine = engine
        self.store, self.driver = engine.store, engine.driver
        self.interval = interval
        self.clock = clock
        self._crashes: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        self._down_since: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="reconciler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile_once()
            except Exception:
                log.exception("reconcile pass failed")
            self._stop.wait(self.interval)

    def reconcile_once(self) -> None:
        if self.driver.router.ensure_running():
            log.warning("router was not running: restarted HAProxy from its config")
        self._keep_addons_up()
        for env in self.store.envs():
            worker = self.engine.workers[(env.app, env.name)]
            if worker.busy or not worker.lock.acquire(blocking=False):
                continue
            try:
                self._repair(env)
            finally:
                worker.lock.release()

    def _keep_addons_up(self) -> None:
        if self.engine.addons is None:
            return
        try:
            for name in self.engine.addons.ensure_running():
                log.warning("%s was not running: restarted it", name)
        except AddonError as exc:  # retried on the next pass
            log.error("an add-on server could not be restarted: %s", exc)

    def _repair(self, env: EnvState) -> None:
        checked = [self._check(i) for i in self.store.instances(env.app, env.name)]
        live = [i for i in checked if i is not None]
        if env.release is None:
            return
        release = self.store.release(env.app, env.name, env.release)
        if release is None:
            return
        self.engine.ensure_backends(env, release)
        for inst in self._failing(env, release.services.values(), live):
            live.remove(inst)
            self._retire_failing(inst, release.services[inst.service])
        self._fix_routes(env, release.services.values(), live)
        desired = Desired(release.version, release.services, self.engine.counts(env, release))
        plan = plan_rollout(
            desired, live, lambda service: new_instance_id(service, release.version)
        )
        if not plan or self._backing_off(env, plan.actions):
            return
        executor = self.engine.executor(env, None, live)
        try:
            executor.run(plan)
        except RolloutFailed as failed:
            log.warning("%s/%s: replacement failed: %s", env.app, env.name, failed.reason)
            for service in {s.service for s in plan.actions}:
                self._crashes[(env.app, env.name, service)].append(self.clock.monotonic())

    def _check(self, inst: Instance) -> Instance | None:
        """The instance if its process lives; otherwise record the crash and forget it."""
        if inst.pid is None:
            inst = self.driver.adopt(inst)
            if inst.pid is not None:
                self.store.save_instance(inst)
        if self.driver.alive(inst):
            return inst
        log.warning("%s/%s: instance %s (pid %s) is gone", inst.app, inst.env, inst.id, inst.pid)
        if inst.port is not None:
            with contextlib.suppress(Exception):
                self.driver.unroute(inst, timeout=0.5)
        self.driver.stop(inst, timeout=0)
        self.store.remove_instance(inst)
        if inst.state in (InstanceState.RUNNING, InstanceState.STARTING):
            self._crashes[(inst.app, inst.env, inst.service)].append(self.clock.monotonic())
        return None

    def _failing(
        self, env: EnvState, specs: Iterable[ServiceSpec], live: list[Instance]
    ) -> list[Instance]:
        """Running instances the router has seen DOWN for a whole failure window (`unhealthy`
        checks `interval` apart) on this loop's watch: they get replaced like crashed ones."""
        now, failing = self.clock.monotonic(), []
        for spec in specs:
            if spec.health is None or not spec.routed:
                continue
            down = self.driver.failing(env.app, env.name, spec.name)
            window = spec.health.interval * spec.health.unhealthy
            for inst in live:
                if inst.service != spec.name or inst.state != InstanceState.RUNNING:
                    continue
                if inst.id not in down:
                    self._down_since.pop(inst.id, None)
                elif now - self._down_since.setdefault(inst.id, now) >= window:
                    failing.append(inst)
        return failing

    def _retire_failing(self, inst: Instance, spec: ServiceSpec) -> None:
        log.warning(
            "%s/%s: instance %s fails its health check (GET %s): replacing it",
            inst.app, inst.env, inst.id, spec.health.path if spec.health else "/",
        )  # fmt: skip
        self._down_since.pop(inst.id, None)
        self.store.save_instance(replace(inst, health="unhealthy"))
        with contextlib.suppress(Exception):
            self.driver.unroute(inst, timeout=0.5)
        self.driver.stop(inst, timeout=spec.stop_timeout)
        self.store.remove_instance(inst)
        self._crashes[(inst.app, inst.env, inst.service)].append(self.clock.monotonic())

    def _fix_routes(
        self, env: EnvState, specs: Iterable[ServiceSpec], live: list[Instance]
    ) -> None:
        """Running instances belong in the router; servers of gone instances do not."""
        for service in (s.name for s in specs if s.routed):
            routed = self.driver.routed(env.app, env.name, service)
            for inst in live:
                if (
                    inst.service == service
                    and inst.state == InstanceState.RUNNING
                    and inst.id not in routed
                ):
                    self.driver.route(inst)
            known = {i.id for i in live}
            for name in routed - known:
                gone = Instance(
                    id=name,
                    app=env.app,
                    env=env.name,
                    service=service,
                    release=0,
                    state=InstanceState.STOPPED,
                    port=0,
                )
                self.driver.unroute(gone, timeout=0.5)

    def _backing_off(self, env: EnvState, actions: tuple[Action, ...]) -> bool:
        now = self.clock.monotonic()
        for service in {a.service for a in actions}:
            crashes = [
                t for t in self._crashes[(env.app, env.name, service)] if now - t < CRASH_WINDOW
            ]
            self._crashes[(env.app, env.name, service)] = crashes
            if crashes:
                # the first crash is replaced at once, then 1s, 2s, 4s ... up to a minute
                delay = (
                    0.0
                    if len(crashes) == 1
                    else min(BACKOFF_BASE * 2 ** (len(crashes) - 2), BACKOFF_MAX)
                )
                if now - crashes[-1] < delay:
                    return True
        return False
