"""The queues the running releases' services declare (`queue = "redis:///<key>"`), and how many
messages wait in each: what `ps` shows, the `queue_depth` gauge the metrics loop stores every
10 s, and the figure a `queue_depth` autoscaling target holds (read fresh on every pass)."""

from __future__ import annotations

from typing import Any

from launchdeck.controlplane.ports import QueueDepths
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import ServiceSpec
from launchdeck.domain.metrics import Sample, Series
from launchdeck.system import SYSTEM_CLOCK, Clock


class Queues:
    def __init__(self, store: Store, depths: QueueDepths, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.store, self.depths, self.clock = store, depths, clock

    def depth(self, app: str, env: str, spec: ServiceSpec) -> int | None:
        """Messages waiting in the service's queue; None without one, or without an answer."""
        return self.depths.queue_depth(app, env, spec.queue) if spec.queue else None

    def of(self, env: EnvState) -> list[dict[str, Any]]:
        """The environment's queued services: service, queue (as written) and depth."""
        return [
            {"service": spec.name, "queue": f"redis:///{spec.queue}", "depth": depth}
            for spec, depth in self._depths(env)
        ]

    def samples(self) -> list[Sample]:
        """`queue_depth` of every queued service that answered."""
        samples = []
        for env in self.store.envs():
            for spec, depth in self._depths(env):
                if depth is not None:
                    series = Series(env.app, env.name, spec.name)
                    samples.append(Sample("queue_depth", series, float(depth), self.clock.now()))
        return samples

    def _depths(self, env: EnvState) -> list[tuple[ServiceSpec, int | None]]:
        release = self.store.release(env.app, env.name, env.release) if env.release else None
        services = release.services.values() if release is not None else ()
        return [(spec, self.depth(env.app, env.name, spec)) for spec in services if spec.queue]
