"""The reconcile loop: desired (current release + formation) vs actual (live processes, router).

Each pass keeps HAProxy and the add-on servers (PostgreSQL, Redis) running, then, for every
environment no deployment is working on, reads what runs into a snapshot, asks the planner
(planning/repairs.py) what to repair, logs each decision and runs it: crashed instances are
replaced with exponential backoff, instances that keep failing their health check are replaced,
running instances the router lost go back in rotation, instances a restart left are adopted.

A pass runs every `interval` and at once when woken (`wake`): the daemon wakes it when a child
process exits, so a crashed instance is replaced the moment it dies, while a settled host is
looked at only once a second.

What it repaired is also a figure (`samples`): each service's crashes in the last five minutes
and its replacements for failing health in the last ten, which the built-in alerts watch."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import assert_never

from launchdeck.controlplane.deploys.deployments import Deployments, new_instance_id
from launchdeck.controlplane.store import EnvState
from launchdeck.domain import Health, Instance, InstanceState, Release
from launchdeck.domain.metrics import Sample, Series
from launchdeck.execution import RolloutFailed
from launchdeck.planning import Desired
from launchdeck.planning.repairs import (
    CRASH_WINDOW,
    AdoptInstance,
    Converge,
    EnvRepair,
    ForgetGone,
    HoldBack,
    Observed,
    RepairState,
    RetireFailing,
    RouteInstance,
    Snapshot,
    UnrouteServer,
    describe,
    plan_repairs,
    plan_router,
)
from launchdeck.system import SYSTEM_CLOCK, Clock
from launchdeck.system.errors import LaunchdeckError

log = logging.getLogger("launchdeck.reconciler")

Key = tuple[str, str]  # (app, env)
COALESCE = 0.05  # seconds: what wakes the loop within this is seen by one pass
REPLACED_WINDOW = 600.0  # seconds a replacement for failing health counts in `samples`


class Reconciler:
    def __init__(
        self, deployments: Deployments, *, interval: float = 1.0, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.deployments = deployments
        self.store, self.driver = deployments.store, deployments.driver
        self.interval = interval
        self.clock = clock
        self._states: dict[Key, RepairState] = {}
        self._held: dict[tuple[str, str, str], float] = {}  # the hold last logged per service
        self._replaced: dict[tuple[str, str, str], list[float]] = {}  # monotonic times
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Run a pass now (safe from a signal handler: it only sets an event)."""
        self._woken.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="reconciler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._woken.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        servers_at = float("-inf")
        while not self._stop.is_set():
            # HAProxy and the add-on servers are no children of ours (no wake when they die):
            # they are looked at once an interval, never at a wake's pace, so a server that
            # keeps failing to start (and wakes us as its start command exits) is not retried
            # in a tight loop
            now = self.clock.monotonic()
            servers = now - servers_at >= self.interval
            servers_at = now if servers else servers_at
            try:
                self.reconcile_once(servers=servers)
            except Exception:
                log.exception("reconcile pass failed")
            self._woken.wait(self.interval)
            self._woken.clear()
            self._stop.wait(COALESCE)  # a burst of child exits makes one pass

    def reconcile_once(self, *, servers: bool = True) -> None:
        """One pass: the servers (HAProxy, add-ons) when `servers`, then every environment."""
        if servers:
            self._keep_router_up()
            self._keep_addons_up()
        for env in self.store.envs():
            worker = self.deployments.workers[(env.app, env.name)]
            if worker.busy or not worker.lock.acquire(blocking=False):
                continue  # a deployment owns the environment for now
            try:
                self._repair(env)
            except Exception:  # one environment's failure must not starve the others
                log.exception("%s/%s: repair failed; retried on the next pass", env.app, env.name)
            finally:
                worker.lock.release()

    def _keep_router_up(self) -> None:
        try:
            for action in plan_router(self.driver.router.is_running()):
                log.warning("%s", describe(action))
                self.driver.router.ensure_running()
        except Exception:
            log.exception("HAProxy could not be restarted; retried on the next pass")

    def _keep_addons_up(self) -> None:
        if self.deployments.addons is None:
            return
        try:
            for name in self.deployments.addons.ensure_running():
                log.warning("%s was not running: restarted it", name)
        except LaunchdeckError as exc:  # an add-on error: retried on the next pass
            log.error("an add-on server could not be restarted: %s", exc)
        except Exception:
            log.exception("keeping the add-on servers up failed; retried on the next pass")

    def samples(self) -> list[Sample]:
        """Per service of every running environment: `crashes` within CRASH_WINDOW and
        `health_replacements` within REPLACED_WINDOW (0 for a service with none)."""
        now, at = self.clock.monotonic(), self.clock.now()
        out: list[Sample] = []
        for env in self.store.envs():
            release = self.store.release(env.app, env.name, env.release) if env.release else None
            if release is None:
                continue
            crashes = self._states.get((env.app, env.name), RepairState()).crashes
            for service in release.services:
                series = Series(env.app, env.name, service)
                crashed = [t for t in crashes.get(service, ()) if now - t < CRASH_WINDOW]
                replaced = [
                    t
                    for t in self._replaced.get((env.app, env.name, service), ())
                    if now - t < REPLACED_WINDOW
                ]
                out.append(Sample("crashes", series, len(crashed), at))
                out.append(Sample("health_replacements", series, len(replaced), at))
        return out

    # -- one environment ----------------------------------------------------------------------

    def _repair(self, env: EnvState) -> None:
        key = (env.app, env.name)
        release = None
        if env.release is not None:
            release = self.store.release(env.app, env.name, env.release)
        snapshot = self._observe(env, release)
        version = release.version if release is not None else 0
        repairs = plan_repairs(
            snapshot,
            self._states.get(key, RepairState()),
            now=self.clock.monotonic(),
            new_id=lambda service: new_instance_id(service, version),
        )
        self._states[key] = repairs.state  # before acting: a crash seen stays counted
        for action in repairs.actions:
            self._run(env, action)

    def _observe(self, env: EnvState, release: Release | None) -> Snapshot:
        instances = tuple(self._observe_one(i) for i in self.store.instances(env.app, env.name))
        if release is None:
            return Snapshot(env.app, env.name, instances)
        self.deployments.ensure_backends(
            env, release
        )  # the router is read next: its backends first
        routed: dict[str, frozenset[str]] = {}
        down: dict[str, frozenset[str]] = {}
        for spec in release.services.values():
            if not spec.routed:
                continue
            routed[spec.name] = frozenset(self.driver.routed(env.app, env.name, spec.name))
            if spec.health is not None:
                down[spec.name] = frozenset(self.driver.failing(env.app, env.name, spec.name))
        desired = Desired(release.version, release.services, self.deployments.counts(env, release))
        return Snapshot(env.app, env.name, instances, desired, routed, down)

    def _observe_one(self, inst: Instance) -> Observed:
        found = self.driver.adopt(inst) if inst.pid is None else inst
        return Observed(found, self.driver.alive(found), adopted=found.pid != inst.pid)

    # -- acting ---------------------------------------------------------------------------------

    def _run(self, env: EnvState, action: EnvRepair) -> None:
        self._record(env, action)
        match action:
            case AdoptInstance(instance=inst):
                self.store.save_instance(inst)
            case ForgetGone(instance=inst):
                if inst.port is not None:
                    self._unroute(inst)
                self.driver.stop(inst, timeout=0)
                self.store.remove_instance(inst)
            case RetireFailing(instance=inst, stop_timeout=stop_timeout):
                self._note_replaced(inst)
                self.store.save_instance(replace(inst, health=Health.UNHEALTHY))
                self._unroute(inst)
                self.driver.stop(inst, timeout=stop_timeout)
                self.store.remove_instance(inst)
            case RouteInstance(instance=inst):
                self.driver.route(inst)
            case UnrouteServer():
                self.driver.unroute(_server(action), timeout=0.5)
            case HoldBack():
                pass  # the rollout waits for a later pass
            case Converge():
                self._converge(env, action)
            case _:
                assert_never(action)

    def _note_replaced(self, inst: Instance) -> None:
        now = self.clock.monotonic()
        key = (inst.app, inst.env, inst.service)
        recent = [t for t in self._replaced.get(key, ()) if now - t < REPLACED_WINDOW]
        self._replaced[key] = [*recent, now]  # a new list: `samples` may be reading the old

    def _record(self, env: EnvState, action: EnvRepair) -> None:
        """Log the decision: trouble as a warning, a hold once rather than once per pass."""
        where = f"{env.app}/{env.name}"
        match action:
            case HoldBack(service=service, retry_at=retry_at):
                if self._held.get((env.app, env.name, service)) != retry_at:
                    self._held[(env.app, env.name, service)] = retry_at
                    log.info("%s: %s", where, describe(action))
            case ForgetGone() | RetireFailing():
                log.warning("%s: %s", where, describe(action))
            case _:
                log.info("%s: %s", where, describe(action))

    def _unroute(self, inst: Instance) -> None:
        try:
            self.driver.unroute(inst, timeout=0.5)
        except Exception:  # its server has no instance now: a later pass removes it
            log.warning(
                "%s/%s: could not take %s out of the router; retried on the next pass",
                inst.app, inst.env, inst.id, exc_info=True,
            )  # fmt: skip

    def _converge(self, env: EnvState, action: Converge) -> None:
        executor = self.deployments.executor(env, None, list(action.instances))
        try:
            executor.run(action.rollout)
        except RolloutFailed as failed:  # the executor removed what it started
            reason = self.deployments.redactors(env.app, env.name)(failed.reason)
            log.warning("%s/%s: replacement failed: %s", env.app, env.name, reason)
            key = (env.app, env.name)
            state = self._states.get(key, RepairState())
            self._states[key] = state.crashed(action.services, self.clock.monotonic())


def _server(action: UnrouteServer) -> Instance:
    """The driver unroutes instances: a stand-in for the one this server belonged to."""
    return Instance(
        id=action.server,
        app=action.app,
        env=action.env,
        service=action.service,
        release=0,
        state=InstanceState.STOPPED,
        port=0,
    )
