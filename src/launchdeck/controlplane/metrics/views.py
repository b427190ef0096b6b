"""What the API shows of the time-series store: per service, a series of points (requests/s,
error rate, latency percentiles, CPU and memory) at a resolution that suits the period asked
for, and a table of the instances over the whole period."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from launchdeck.controlplane.metrics.store import (
    DEFAULT_RETENTION,
    STEPS,
    GaugePoint,
    MetricsStore,
    RequestPoint,
    as_point,
)
from launchdeck.domain.metrics import RequestWindow, merged, quantile

MAX_POINTS = 120  # per series; finer points are merged


def stored_step(seconds: float, retention: Mapping[int, float] = DEFAULT_RETENTION) -> int:
    """The finest stored resolution that still reaches `seconds` back."""
    return next((s for s in STEPS if retention.get(s, 0) >= seconds), STEPS[-1])


def step_for(seconds: float, retention: Mapping[int, float] = DEFAULT_RETENTION) -> int:
    """The stored resolution for `seconds`, coarsened to at most MAX_POINTS points."""
    stored = stored_step(seconds, retention)
    return max(stored, _round_up(seconds / MAX_POINTS, stored))


def _round_up(value: float, unit: int) -> int:
    return int(-(-value // unit) * unit)


def env_metrics(
    store: MetricsStore,
    app: str,
    env: str,
    *,
    now: float,
    since: float,
    service: str | None,
    live: Sequence[RequestWindow] = (),
) -> dict[str, Any]:
    """`live`: windows the store does not have yet (the last seconds)."""
    step, stored = step_for(since, store.retention), stored_step(since, store.retention)
    start = (now - since) // step * step
    requests = store.requests(app, env, since=start, step=stored, service=service)
    requests += [
        as_point(w)
        for w in live
        if (w.series.app, w.series.env) == (app, env)
        and service in (None, w.series.service)
        and w.start >= start
    ]
    gauges = store.gauges(app, env, since=start, step=stored, service=service)
    services = sorted({p.series.service for p in requests} | {g.series.service for g in gauges})
    return {
        "app": app,
        "env": env,
        "since": start,
        "step": step,
        "services": {name: _service(name, requests, gauges, step) for name in services},
        "instances": _instances(requests, gauges),
    }


def _service(
    name: str, requests: Sequence[RequestPoint], gauges: Sequence[GaugePoint], step: int
) -> dict[str, Any]:
    mine = [p for p in requests if p.series.service == name]
    by_t: dict[int, list[RequestPoint]] = defaultdict(list)
    for p in mine:
        by_t[p.t // step * step].append(p)
    gauge_t: dict[int, list[GaugePoint]] = defaultdict(list)
    for g in gauges:
        if g.series.service == name:
            gauge_t[g.t // step * step].append(g)
    points = [
        {"t": t, **request_figures(by_t.get(t, []), step), **gauge_figures(gauge_t.get(t, []))}
        for t in sorted(set(by_t) | set(gauge_t))
    ]
    return {"points": points, "total": request_figures(mine, step * max(1, len(by_t)))}


def request_figures(points: Iterable[RequestPoint], seconds: float) -> dict[str, Any]:
    """Requests, rate, status classes, error rate and latency percentiles of some points."""
    points = list(points)
    requests = sum(p.requests for p in points)
    statuses: dict[str, int] = defaultdict(int)
    for p in points:
        for klass, n in p.statuses.items():
            statuses[klass] += n
    total = merged(*(p.total_ms for p in points))
    server = merged(*(p.server_ms for p in points))
    return {
        "requests": requests,
        "requests_per_s": requests / seconds if seconds else 0.0,
        "statuses": dict(sorted(statuses.items())),
        "error_rate": statuses.get("5xx", 0) / requests if requests else None,
        "p50_ms": quantile(total, 0.50),
        "p95_ms": quantile(total, 0.95),
        "p99_ms": quantile(total, 0.99),
        "server_p95_ms": quantile(server, 0.95),
        "bytes_out": sum(p.bytes_out for p in points),
    }


def gauge_figures(gauges: Iterable[GaugePoint]) -> dict[str, Any]:
    """A service's instances together: CPU averaged, memory summed, the fullest memory; its
    queue's depth."""
    by_name: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for g in gauges:
        by_name[g.name][g.series.instance].append(g.value)
    latest = {
        name: {inst: values[-1] for inst, values in per.items()} for name, per in by_name.items()
    }
    cpu, memory = latest.get("cpu", {}), latest.get("memory_bytes", {})
    fullest, queue = latest.get("memory", {}), latest.get("queue_depth", {})
    return {
        "cpu": sum(cpu.values()) / len(cpu) if cpu else None,
        "memory_bytes": sum(memory.values()) if memory else None,
        "memory": max(fullest.values()) if fullest else None,
        "queue_depth": sum(queue.values()) if queue else None,  # the service's, one series
    }


def _instances(
    requests: Sequence[RequestPoint], gauges: Sequence[GaugePoint]
) -> list[dict[str, Any]]:
    keys = {(p.series.service, p.series.instance) for p in requests if p.series.instance}
    keys |= {(g.series.service, g.series.instance) for g in gauges if g.series.instance}
    rows = []
    for service, instance in sorted(keys):
        mine = [p for p in requests if p.series.instance == instance]
        figures = request_figures(mine, 0)
        last: dict[str, float] = {}
        for g in gauges:
            if g.series.instance == instance:
                last[g.name] = g.value
        rows.append(
            {
                "service": service,
                "instance": instance,
                "requests": figures["requests"],
                "error_rate": figures["error_rate"],
                "p95_ms": figures["p95_ms"],
                **last,
            }
        )
    return rows
