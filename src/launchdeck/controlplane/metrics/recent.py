"""The router's request windows of an environment since a moment: the finished ones from the
store, the current ones still counting, each request once. What deciding in seconds needs
(the autoscaler's figures, a canary's analysis), where the 10 s store alone would lag."""

from __future__ import annotations

from launchdeck.controlplane.metrics.loop import MetricsLoop
from launchdeck.domain.metrics import RequestWindow


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
