"""The health gate: new instances must pass before they get traffic, or the rollout stops."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from launchdeck.domain import HealthCheck, Instance
from launchdeck.execution.runtime import Runtime
from launchdeck.system import SYSTEM_CLOCK, Clock

FAST_POLL = 0.025  # until the first success we poll quickly: boot time is what users wait for
WORKER_SETTLE = 1.0  # a portless service counts as healthy once it has stayed up this long
STOP_CHECK = 0.1  # how soon a wait notices it was called off


class GateStopped(Exception):
    """The wait was called off: another service of the rollout failed its gate."""


class GateFailed(Exception):
    def __init__(self, instance: Instance, reason: str) -> None:
        self.instance = instance
        self.reason = reason
        super().__init__(reason)


@dataclass
class _Track:
    inst: Instance
    successes: int = 0
    failures: int = 0
    ever_healthy: bool = False
    next_probe: float = 0.0


class HealthGate:
    def __init__(self, runtime: Runtime, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.runtime = runtime
        self.clock = clock

    def wait(
        self,
        instances: Sequence[Instance],
        health: HealthCheck | None,
        *,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """Return when all instances are healthy; raise GateFailed for the first that fails:
        it exits, it reaches `unhealthy` failures in a row after having been healthy, or it is
        not healthy within `grace` seconds. Raise GateStopped once `stop()` is true."""
        check = health or HealthCheck(
            path="/", interval=WORKER_SETTLE, healthy=1, grace=max(WORKER_SETTLE * 10, 10.0)
        )
        start = self.clock.monotonic()
        pending = {i.id: _Track(i, next_probe=start) for i in instances}
        if health is None:  # workers: alive after the settle time
            for track in pending.values():
                track.next_probe = start + WORKER_SETTLE
        while pending:
            if stop():
                raise GateStopped
            now = self.clock.monotonic()
            for track in list(pending.values()):
                if now >= track.next_probe:
                    self._probe(track, check, now - start)
                    if track.successes >= check.healthy:
                        del pending[track.inst.id]
            if pending:
                wake = min(t.next_probe for t in pending.values())
                self.clock.sleep(min(STOP_CHECK, max(0.0, wake - now)))

    def _probe(self, track: _Track, check: HealthCheck, elapsed: float) -> None:
        inst = track.inst
        if not self.runtime.alive(inst):
            code = self.runtime.exit_code(inst)
            how = f"exited with code {code}" if code is not None else "exited"
            raise GateFailed(inst, f"instance {inst.id} {how} before passing its health check")
        ok = self.runtime.probe(inst, check)
        now = self.clock.monotonic()
        if ok:
            track.successes += 1
            track.failures = 0
            track.ever_healthy = True
            track.next_probe = now + check.interval
            return
        track.successes = 0
        track.failures += 1
        if track.ever_healthy and track.failures >= check.unhealthy:
            raise GateFailed(
                inst, f"instance {inst.id} failed {track.failures} health checks in a row"
            )
        if elapsed >= check.grace:
            where = f"GET {check.path}" if inst.port is not None else "staying up"
            raise GateFailed(
                inst,
                f"instance {inst.id} did not pass its health check ({where}) "
                f"within the {check.grace:g}s grace period",
            )
        track.next_probe = now + (check.interval if track.ever_healthy else FAST_POLL)
