"""Request metrics from a real HAProxy: every request it answers reaches the RequestLog, counted
by status class and instance, with latencies the client would agree with.

Every load is bounded in count and time; every process started here is stopped by pid.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.harness import send_each
from tests.integration.test_router import HEALTH, Instances, free_port, wait_until
from tests.integration.test_router import instances as instances  # the fixture

from launchdeck.domain.metrics import RequestWindow, merged, quantile
from launchdeck.drivers.local.router.haproxy import Backend, Router
from launchdeck.drivers.local.router.requestlog import RequestLog

pytestmark = pytest.mark.integration

BACKEND = "shop_staging_web"
PORTS: dict[int, str] = {}


def labels(backend: str) -> tuple[str, str, str] | None:
    app, env, service = backend.split("_") if backend.count("_") == 2 else ("", "", "")
    return (app, env, service) if app else None


@pytest.fixture
def logged(tmp_path: Path, instances: Instances) -> Iterator[tuple[Router, RequestLog]]:
    """A router with request logging on, its RequestLog listening, backend `shop_staging_web`
    with two instances."""
    router = Router(tmp_path / "r", http_port=free_port(), request_log=True)
    requests = RequestLog(
        router.paths.request_log,
        labels=labels,
        instance_of=lambda backend, port: PORTS.get(port, ""),
    )
    requests.start()
    try:
        router.ensure_running()
        router.set_backend(Backend(BACKEND, ("shop.localhost",), HEALTH))
        for name in ("web-a", "web-b"):
            port = instances.start(name)
            PORTS[port] = name
            router.add_server(BACKEND, name, port)
        yield router, requests
    finally:
        router.stop()
        requests.stop()


def everything(requests: RequestLog, expected: int) -> list[RequestWindow]:
    windows: list[RequestWindow] = []
    wait_until(
        lambda: (
            (windows.extend(requests.take(everything=True)) or True)
            and sum(w.requests for w in windows) >= expected
        ),
        timeout=15,
        what=f"{expected} requests counted",
    )
    time.sleep(0.2)  # nothing more arrives than was sent
    windows.extend(requests.take(everything=True))
    return windows


def test_every_request_is_counted_by_status_and_instance(logged: tuple[Router, RequestLog]) -> None:
    router, requests = logged
    paths = ["/status?c=503"] * 100 + ["/status?c=404"] * 50 + ["/"] * 1850
    statuses, _ = send_each(router.http_port, "shop.localhost", paths)
    assert statuses == {200: 1850, 404: 50, 503: 100}

    windows = everything(requests, 2000)
    assert sum(w.requests for w in windows) == 2000
    by_class: Counter[str] = Counter()
    for w in windows:
        by_class.update(w.statuses)
    assert by_class == {"2xx": 1850, "4xx": 50, "5xx": 100}
    assert {w.series.instance for w in windows} == {"web-a", "web-b"}
    assert {(w.series.app, w.series.env, w.series.service) for w in windows} == {
        ("shop", "staging", "web")
    }


def test_latency_quantiles_agree_with_the_client(logged: tuple[Router, RequestLog]) -> None:
    router, requests = logged
    # a known mix: most answer at once, 15% after 50 ms, 10% after 120 ms (the 95th percentile)
    paths = ["/sleep?s=0.12"] * 40 + ["/sleep?s=0.05"] * 60 + ["/"] * 300
    _, latencies = send_each(router.http_port, "shop.localhost", paths, clients=4)
    windows = everything(requests, 400)

    total = merged(*(w.total_ms for w in windows))
    measured = quantile(total, 0.95)
    client = statistics.quantiles(latencies, n=100)[94]
    assert measured is not None
    assert abs(measured - client) <= 0.1 * client, (measured, client)
