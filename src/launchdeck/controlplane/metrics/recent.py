"""The router's request windows of an environment since a moment: the finished ones from the
store, the current ones still counting, each request once. What deciding in seconds needs
(the autoscaler's figures, a canary's analysis), where the 10 s store alone would lag."""

from __future__ import annotations

from collections.abc import Sequence

from launchdeck.controlplane.metrics.loop import MetricsLoop
from launchdeck.domain.canary import Side
from launchdeck.domain.metrics import RequestWindow, merged, quantile


def recent_windows(metrics: MetricsLoop, app: str, env: str, since: float) -> list[RequestWindow]:
    """Every window of `app`/`env` that ends after `since` (release labels filled in)."""

    def view(live: list[RequestWindow]) -> list[RequestWindow]:
        stored = metrics.store.requests(app, env, since=since - 3600, step=10)
        finished = [
            RequestWindow(
                p.series, p.t, p.step, p.requests, p.statuses, p.bytes_out, p.total_ms, p.server_ms
            )
            for p in stored
        ]
        here = [w for w in live if (w.series.app, w.series.env) == (app, env)]
        return [w for w in finished + here if w.start + w.seconds > since]

    return metrics.read(view)


class ReleaseSides:
    """A canary's analysis input: the new release's and the serving release's requests to some
    services since a moment (deploys.canary.ReleaseTraffic)."""

    def __init__(self, metrics: MetricsLoop) -> None:
        self.metrics = metrics

    def sides(
        self, app: str, env: str, services: Sequence[str], since: float, canary: int, stable: int
    ) -> tuple[Side, Side]:
        mine = [
            w for w in recent_windows(self.metrics, app, env, since) if w.series.service in services
        ]
        return _side(mine, f"v{canary}"), _side(mine, f"v{stable}")


def _side(windows: list[RequestWindow], release: str) -> Side:
    of = [w for w in windows if w.series.release == release]
    buckets = merged(*(w.total_ms for w in of))
    errors = sum(w.statuses.get("5xx", 0) for w in of)
    return Side(sum(w.requests for w in of), errors, quantile(buckets, 0.95))
