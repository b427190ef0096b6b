"""The figures an autoscaling policy tracks, for one service, now: requests per second per
running instance and the 95th percentile response time over the last `SPAN` seconds (the
router's windows: the finished ones in the store, the current one still counting), CPU per
instance from the collectors' last samples, and the messages waiting in its queue per running
instance, read as the figure is asked for."""

from __future__ import annotations

from collections.abc import Sequence

from launchdeck.controlplane.metrics.loop import MetricsLoop
from launchdeck.controlplane.metrics.queues import Queues
from launchdeck.controlplane.metrics.recent import recent_windows
from launchdeck.domain import Instance, ServiceSpec
from launchdeck.domain.autoscale import ScaleMetric
from launchdeck.domain.metrics import RequestWindow, merged, quantile

SPAN = 10.0  # seconds of requests a figure covers
MIN_REQUESTS_FOR_P95 = 20  # fewer: the percentile says nothing yet


class Figures:
    def __init__(self, metrics: MetricsLoop, queues: Queues | None = None) -> None:
        self.metrics, self.queues = metrics, queues

    def of(
        self, app: str, env: str, spec: ServiceSpec, running: Sequence[Instance], now: float
    ) -> dict[ScaleMetric, float | None]:
        windows = self._windows(app, env, spec.name, now)
        rate = _rate(windows, now)
        buckets = merged(*(w.total_ms for w in windows if w.start + w.seconds > now - SPAN))
        enough = sum(buckets.values()) >= MIN_REQUESTS_FOR_P95
        return {
            ScaleMetric.REQUESTS_PER_INSTANCE: rate / len(running) if running else None,
            ScaleMetric.P95_MS: quantile(buckets, 0.95) if enough else None,
            ScaleMetric.CPU: self._cpu(running),
            ScaleMetric.QUEUE_DEPTH: self._backlog(app, env, spec, running),
        }

    def _windows(self, app: str, env: str, service: str, now: float) -> list[RequestWindow]:
        windows = recent_windows(self.metrics, app, env, now - SPAN)
        return [w for w in windows if w.series.service == service]

    def _backlog(
        self, app: str, env: str, spec: ServiceSpec, running: Sequence[Instance]
    ) -> float | None:
        """Messages waiting per running instance (what each would have to work through)."""
        if self.queues is None or spec.queue is None or not running:
            return None
        depth = self.queues.depth(app, env, spec)
        return depth / len(running) if depth is not None else None

    def _cpu(self, running: Sequence[Instance]) -> float | None:
        ids = {i.id for i in running}
        values = [
            s.value for s in self.metrics.latest if s.name == "cpu" and s.series.instance in ids
        ]
        return 100 * sum(values) / len(values) if values else None


def _rate(windows: Sequence[RequestWindow], now: float) -> float:
    """Requests per second over [now - SPAN, now]: each window's requests spread evenly over the
    part of it that has passed, counted for the share of that part inside the span."""
    total = 0.0
    for w in windows:
        end = min(w.start + w.seconds, now)
        if end <= w.start:
            total += w.requests if w.start >= now - SPAN else 0
            continue
        inside = max(0.0, end - max(w.start, now - SPAN))
        total += w.requests * inside / (end - w.start)
    return total / SPAN
