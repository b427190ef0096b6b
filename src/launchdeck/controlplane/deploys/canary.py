"""A canary rollout on one host. For each step below 100%: the new release's instances of the
canaried services are started and health-gated until they can carry the step's share, HAProxy
weights give them that share, and the analysis (planning.canary) compares the new release with
the serving one every second until the step passes or fails. A failure (or `canary abort`) puts
every request back on the serving release at once and removes the new instances; a pass of the
last step below 100% (or `canary promote`) hands over to the usual rolling path, which brings the
new release to its full count and retires the old.

Nothing of a canary is left to chance across a control-plane restart: an interrupted canary is
rolled back (`Deployments.resume`), so traffic is never left split with no one watching.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from launchdeck.controlplane.deploys.journal import Journal
from launchdeck.controlplane.ports import LocalRuntime
from launchdeck.domain import Deployment, EventKind, Instance, InstanceState, Release, ServiceSpec
from launchdeck.domain.canary import Analysis, Outcome, Side
from launchdeck.execution import Executor, RolloutFailed
from launchdeck.planning import AwaitHealthy, Plan, Route, Start
from launchdeck.planning.canary import analyze, instances_for, weights
from launchdeck.system import SYSTEM_CLOCK, Clock

log = logging.getLogger("launchdeck.canary")

EVERY = 1.0  # seconds between analyses


class ReleaseTraffic(Protocol):
    """Each release's requests to some services since a moment (controlplane.metrics has one)."""

    def sides(
        self, app: str, env: str, services: Sequence[str], since: float, canary: int, stable: int
    ) -> tuple[Side, Side]: ...


class Controls:
    """What `canary promote|abort` asked of a running canary, and where each one stands."""

    def __init__(self) -> None:
        self._asked: dict[int, str] = {}
        self._status: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def ask(self, dep_id: int, what: str) -> bool:
        with self._lock:
            if dep_id not in self._status:
                return False
            self._asked[dep_id] = what
            return True

    def asked(self, dep_id: int) -> str | None:
        with self._lock:
            return self._asked.get(dep_id)

    def show(self, dep_id: int, status: dict[str, Any]) -> None:
        with self._lock:
            self._status[dep_id] = status

    def status(self, dep_id: int) -> dict[str, Any] | None:
        with self._lock:
            return self._status.get(dep_id)

    def forget(self, dep_id: int) -> None:
        with self._lock:
            self._asked.pop(dep_id, None)
            self._status.pop(dep_id, None)


@dataclass
class _Side:
    service: ServiceSpec
    stable: list[Instance]
    new: list[str]


class CanaryRun:
    def __init__(
        self,
        journal: Journal,
        driver: LocalRuntime,
        traffic: ReleaseTraffic,
        controls: Controls,
        *,
        new_id: Callable[[str], str],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.journal, self.driver, self.traffic, self.controls = journal, driver, traffic, controls
        self.new_id, self.clock = new_id, clock

    def run(
        self,
        dep: Deployment,
        release: Release,
        stable_release: int,
        actual: list[Instance],
        counts: dict[str, int],
        executor: Executor,
    ) -> None:
        """Every step below 100% passed (or promoted): the caller rolls out the rest. A failed
        analysis or gate, or an abort, raises RolloutFailed once traffic is all back on the
        stable release and the new instances are gone."""
        sides = self._sides(release, actual)
        if not any(side.stable for side in sides):
            return  # nothing serves yet to compare with: the rolling path does it all
        try:
            for index, percent in enumerate(release.deploy.steps):
                if percent >= 100 or self.controls.asked(dep.id) == "promote":
                    break
                self._step(dep, release, stable_release, sides, counts, executor, index, percent)
        except RolloutFailed:
            self._restore(sides)
            executor.remove_started()
            raise
        finally:
            self.controls.forget(dep.id)
        for side in sides:  # the rolling path takes it from here, with even weights
            for inst in [*side.stable, *(executor.instances[i] for i in side.new)]:
                self.driver.weigh(inst, 1)

    def _sides(self, release: Release, actual: list[Instance]) -> list[_Side]:
        chosen = release.deploy.services
        return [
            _Side(
                spec,
                [
                    i
                    for i in actual
                    if i.service == spec.name
                    and i.state == InstanceState.RUNNING
                    and i.release != release.version
                ],
                [],
            )
            for spec in release.services.values()
            if spec.routed and (chosen is None or spec.name in chosen)
        ]

    def _step(
        self,
        dep: Deployment,
        release: Release,
        stable: int,
        sides: list[_Side],
        counts: dict[str, int],
        executor: Executor,
        index: int,
        percent: int,
    ) -> None:
        steps = release.deploy.steps
        self._grow(release, sides, counts, executor, percent)
        self._split(dep, sides, executor, percent)
        names = ", ".join(side.service.name for side in sides)
        started = sum(len(side.new) for side in sides)
        self.journal.event(
            dep,
            EventKind.CANARY,
            f"step {index + 1}/{len(steps)}: {percent}% of {names} to {release.name} "
            f"({started} new instances), {100 - percent}% to v{stable}",
        )
        verdict = self._watch(dep, release, stable, sides, index, percent)
        if verdict.outcome == Outcome.FAIL:
            self.journal.event(dep, EventKind.CANARY, f"analysis failed: {verdict.reason}")
            raise RolloutFailed(f"canary analysis failed in step {index + 1}: {verdict.reason}")
        message = f"step {index + 1}/{len(steps)} passed ({percent}%): {verdict.reason}"
        self.journal.event(dep, EventKind.CANARY, message)
        self.journal.notice(dep, "canary_step_passed", message)

    def _grow(
        self,
        release: Release,
        sides: list[_Side],
        counts: dict[str, int],
        executor: Executor,
        percent: int,
    ) -> None:
        """Start and gate what the step's share needs (every service side by side)."""
        tracks = []
        for side in sides:
            name = side.service.name
            more = instances_for(counts.get(name, 1), percent) - len(side.new)
            if more <= 0:
                continue
            ids = tuple(self.new_id(name) for _ in range(more))
            side.new += ids
            tracks.append((Start(name, release.version, ids), AwaitHealthy(name, ids)))
        if tracks:
            executor.go_live(Plan(tuple(tracks)))

    def _split(self, dep: Deployment, sides: list[_Side], executor: Executor, percent: int) -> None:
        """The old instances' weights first, so a newly routed one never gets more than its
        share even for the moment between routing it and weighing it."""
        for side in sides:
            w_new, w_old = weights(percent, len(side.new), len(side.stable))
            for inst in side.stable:
                self.driver.weigh(inst, w_old)
            routed = self.driver.routed(dep.app, dep.env, side.service.name)
            unrouted = tuple(i for i in side.new if i not in routed)
            if unrouted:
                executor.go_live(Plan(((Route(side.service.name, unrouted),),)))
            for inst_id in side.new:
                self.driver.weigh(executor.instances[inst_id], w_new)

    def _watch(
        self,
        dep: Deployment,
        release: Release,
        stable: int,
        sides: list[_Side],
        index: int,
        percent: int,
    ) -> Analysis:
        spec, since = release.deploy, self.clock.now()
        services = [side.service.name for side in sides]
        while True:
            asked = self.controls.asked(dep.id)
            canary, serving = self.traffic.sides(
                dep.app, dep.env, services, since, release.version, stable
            )
            elapsed = self.clock.now() - since
            verdict = analyze(spec, canary, serving, elapsed)
            if asked == "abort":
                verdict = Analysis(
                    Outcome.FAIL, "aborted (`launchdeck canary abort`)", canary, serving
                )
            elif asked == "promote":
                verdict = Analysis(
                    Outcome.PASS, "promoted (`launchdeck canary promote`)", canary, serving
                )
            self.controls.show(
                dep.id, _status(dep, release, stable, index, percent, elapsed, verdict)
            )
            if verdict.outcome != Outcome.WAIT:
                return verdict
            self.clock.sleep(EVERY)

    def _restore(self, sides: list[_Side]) -> None:
        """Every request back on the stable instances (the executor removed the new ones)."""
        for side in sides:
            for inst in side.stable:
                try:
                    self.driver.weigh(inst, 1)
                except Exception:
                    log.exception("%s: weight not restored", inst.id)


def _status(
    dep: Deployment,
    release: Release,
    stable: int,
    index: int,
    percent: int,
    elapsed: float,
    verdict: Analysis,
) -> dict[str, Any]:
    def side(s: Side) -> dict[str, Any]:
        return {"requests": s.requests, "error_rate": s.error_rate, "p95_ms": s.p95_ms}

    return {
        "deployment": dep.id,
        "release": release.name,
        "stable": f"v{stable}",
        "step": index + 1,
        "steps": list(release.deploy.steps),
        "percent": percent,
        "elapsed": elapsed,
        "pause": release.deploy.pause,
        "canary": side(verdict.canary),
        "serving": side(verdict.stable),
        "verdict": verdict.outcome.value,
        "reason": verdict.reason,
    }
