"""The autoscaler's loop: every `INTERVAL` seconds, each environment's autoscaled services are
decided on (planning.autoscale) and changed through `Deployments.autoscale`, the health-gated
path `scale` takes. An environment with a deployment queued or running is left alone until it
is done. Decisions are kept in metrics.db (`autoscale status` lists them); a service the host's
free memory cannot grow is reported as the `autoscale_capped` figure, which the built-in
`autoscale-capped` alert watches."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from launchdeck.controlplane.autoscaling.figures import Figures
from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.deploys.promotion import scale_of
from launchdeck.controlplane.errors import Invalid
from launchdeck.controlplane.metrics.store import MetricsStore
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import Instance, InstanceState, Release, ServiceSpec
from launchdeck.domain.autoscale import Decision, DecisionKind, ScaleMetric
from launchdeck.domain.metrics import Sample, Series
from launchdeck.planning.autoscale import Memory, decide
from launchdeck.system import SYSTEM_CLOCK, Clock

log = logging.getLogger("launchdeck.autoscaler")

INTERVAL = 2.0
HEADROOM = 0.05  # of the host's memory the autoscaler leaves free

SCHEMA = """
CREATE TABLE IF NOT EXISTS autoscale_decisions (
    app TEXT NOT NULL, env TEXT NOT NULL, service TEXT NOT NULL, at REAL NOT NULL,
    kind TEXT NOT NULL, current INTEGER NOT NULL, desired INTEGER NOT NULL, value REAL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS autoscale_decisions_by_env ON autoscale_decisions (app, env, at);
"""

Key = tuple[str, str, str]  # app, env, service


@dataclass(frozen=True)
class Watch:
    """Where one service stood at the last evaluation."""

    figures: dict[ScaleMetric, float | None]
    running: int
    wanted: int
    capped: int  # instances wanted that the host's free memory does not allow
    at: float


class Autoscaler:
    def __init__(
        self,
        store: Store,
        deployments: Deployments,
        metrics: MetricsStore,
        figures: Figures,
        *,
        memory: Callable[[], tuple[int, int]],
        interval: float = INTERVAL,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`memory()`: the host's (available, total) bytes."""
        self.store, self.deployments, self.metrics = store, deployments, metrics
        self.figures, self.host_memory = figures, memory
        self.interval, self.clock = interval, clock
        self.metrics.add_schema(SCHEMA)
        self._memory: dict[Key, Memory] = {}
        self._watch: dict[Key, Watch] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="autoscaler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.evaluate_all()
            except Exception:
                log.exception("autoscaling pass failed; the next runs in %gs", self.interval)

    # -- deciding --------------------------------------------------------------------------------

    def evaluate_all(self) -> None:
        now = self.clock.now()
        for env in self.store.envs():
            release = self._release(env)
            if release is None or not _autoscaled(release):
                continue
            if self.deployments.workers[(env.app, env.name)].busy:
                continue  # a deployment (or the last decision) owns the environment for now
            try:
                self._evaluate_env(env, release, now)
            except Exception:
                log.exception("%s/%s: autoscaling failed; retried next pass", env.app, env.name)

    def _evaluate_env(self, env: EnvState, release: Release, now: float) -> None:
        instances = self.store.instances(env.app, env.name)
        counts = scale_of(env, release.services)
        for spec in release.services.values():
            if spec.autoscale is None or spec.name in env.manual:
                continue
            decision = self._decide(env, spec, counts[spec.name], instances, now)
            if decision is None:
                continue
            if decision.kind == DecisionKind.CAPPED:
                self._record(env, decision)
                continue
            if self.deployments.autoscale(env, decision) is not None:
                self._record(env, decision)
                return  # one change per environment at a time: the next pass sees its result

    def _decide(
        self, env: EnvState, spec: ServiceSpec, count: int, instances: list[Instance], now: float
    ) -> Decision | None:
        assert spec.autoscale is not None
        key = (env.app, env.name, spec.name)
        mine = [i for i in instances if i.service == spec.name]
        running = [i for i in mine if i.state == InstanceState.RUNNING]
        figures = self.figures.of(env.app, env.name, spec, running, now)
        memory = self._memory.get(key) or Memory(started_at=now)
        room = self._room(spec, len(mine))
        verdict = decide(spec.name, spec.autoscale, count, figures, memory, now, room)
        self._memory[key] = verdict.memory
        was_capped = key in self._watch and self._watch[key].capped > 0
        self._watch[key] = Watch(figures, len(running), verdict.wanted, verdict.capped, now)
        decision = verdict.decision
        if decision is not None and decision.kind == DecisionKind.CAPPED and was_capped:
            return None  # recorded when it began; the alert keeps telling
        return decision

    def _room(self, spec: ServiceSpec, instances: int) -> int | None:
        """How many more instances of the service the host's free memory takes: by its
        `resources.memory`, else None (no limit to go by)."""
        need = spec.resources.memory
        if need is None:
            return None
        available, total = self.host_memory()
        return max(0, math.floor((available - HEADROOM * total) / need))

    # -- records ---------------------------------------------------------------------------------

    def _record(self, env: EnvState, decision: Decision) -> None:
        log.info("%s/%s: %s %s", env.app, env.name, decision.kind, decision.reason)
        with self.metrics.transaction() as db:
            db.execute(
                "INSERT INTO autoscale_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (env.app, env.name, decision.service, decision.at, decision.kind.value,
                 decision.current, decision.desired, decision.value, decision.reason),
            )  # fmt: skip

    def decisions(self, app: str, env: str, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.metrics.read(
            "SELECT service, at, kind, current, desired, value, reason FROM autoscale_decisions"
            " WHERE app = ? AND env = ? ORDER BY at DESC LIMIT ?",
            (app, env, limit),
        )
        keys = ("service", "at", "kind", "current", "desired", "value", "reason")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def samples(self) -> list[Sample]:
        """`autoscale_capped` per autoscaled service (the metrics loop stores it every 10 s)."""
        now = self.clock.now()
        return [
            Sample("autoscale_capped", Series(app, env, service), float(watch.capped), now)
            for (app, env, service), watch in list(self._watch.items())
            if now - watch.at < 6 * self.interval
        ]

    # -- what `autoscale status` and `autoscale resume` use --------------------------------------

    def status(self, env: EnvState) -> list[dict[str, Any]]:
        release = self._release(env)
        if release is None:
            return []
        counts = scale_of(env, release.services)
        out = []
        for spec in release.services.values():
            if spec.autoscale is None:
                continue
            policy = spec.autoscale
            watch = self._watch.get((env.app, env.name, spec.name))
            figures = watch.figures if watch is not None else {}
            out.append(
                {
                    "service": spec.name,
                    "min": policy.min,
                    "max": policy.max,
                    "targets": [
                        {
                            "metric": t.metric.value,
                            "target": t.value,
                            "value": figures.get(t.metric),
                        }
                        for t in policy.targets
                    ],
                    "scale_out_cooldown": policy.scale_out_cooldown,
                    "scale_in_stabilization": policy.scale_in_stabilization,
                    "max_step": policy.max_step,
                    "desired": counts[spec.name],
                    "running": watch.running if watch is not None else None,
                    "wanted": watch.wanted if watch is not None else None,
                    "capped": watch.capped if watch is not None else 0,
                    "paused": spec.name in env.manual,
                }
            )
        return out

    def resume(self, env: EnvState, services: list[str]) -> list[str]:
        """Hand services a manual `scale` paused back to the autoscaler (all, when none named);
        the services resumed."""
        release = self._release(env)
        autoscaled = sorted(
            name for name, spec in (release.services if release else {}).items() if spec.autoscale
        )
        for name in services:
            if name not in autoscaled:
                raise Invalid(
                    f"{env.app}/{env.name}: {name!r} does not autoscale"
                    + (f" (these do: {', '.join(autoscaled)})" if autoscaled else ""),
                    f"add [services.{name}.autoscale] to the manifest and deploy"
                    if not autoscaled
                    else f"use one of: {', '.join(autoscaled)}",
                )
        names = set(services or autoscaled)
        resumed = sorted(names & env.manual)
        self.store.update_env(
            env.app, env.name, lambda state: replace(state, manual=state.manual - names)
        )
        for name in resumed:  # a fresh start: no scale-in for a window, as after a restart
            self._memory.pop((env.app, env.name, name), None)
        return resumed

    def _release(self, env: EnvState) -> Release | None:
        return self.store.release(env.app, env.name, env.release) if env.release else None


def _autoscaled(release: Release) -> bool:
    return any(spec.autoscale is not None for spec in release.services.values())
