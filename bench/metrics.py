"""What metrics cost: request logging's toll on the router (two HAProxys side by side, one
logging every request to the control plane, one not, over the same instance), the control
plane's CPU while it ingests a load, and its CPU with ten idle instances."""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from tests.harness import ControlPlane, free_port

from launchdeck.cli.client import Endpoint
from launchdeck.drivers.local.router.haproxy import Backend, Router

IDLE_SECONDS = 30.0  # three collection passes
PAIRS = 5


def daemon(cp: ControlPlane) -> psutil.Process:
    status = json.loads(cp.cli("server", "status", "--json").out)
    return psutil.Process(int(status["pid"]))


def cpu_pct_during(proc: psutil.Process, work: Callable[[], object]) -> tuple[float, object]:
    """The process's CPU (percent of one core) while `work` runs, and what `work` returned."""
    before, started = proc.cpu_times(), time.monotonic()
    result = work()
    after, took = proc.cpu_times(), time.monotonic() - started
    used = (after.user - before.user) + (after.system - before.system)
    return 100 * used / took, result


def logging_overhead(
    cp: ControlPlane, instance_port: int, host: str, throughput: Callable[[int, str], float],
    tmp: Path,
) -> float:  # fmt: skip
    """Requests/s through the control plane's router (logging every request) over the same
    through a twin router that does not log, measured in alternating pairs."""
    twin = Router(tmp / "twin-router", http_port=free_port(), request_log=False)
    try:
        twin.ensure_running()
        twin.set_backend(Backend("bench_staging_web", (host.split(":")[0],), None))  # no checks
        twin.add_server("bench_staging_web", "the-instance", instance_port)
        logged, unlogged = [], []
        for pair in range(PAIRS):  # ABBA: whichever goes first in a pair alternates
            order = [(logged, cp.http_port), (unlogged, twin.http_port)]
            for results, port in order if pair % 2 == 0 else reversed(order):
                results.append(throughput(port, host))
        return statistics.median(logged) / statistics.median(unlogged)
    finally:
        twin.stop()


def ingest_cpu(
    cp: ControlPlane, host: str, throughput: Callable[[int, str], float]
) -> tuple[float, float]:
    """The control plane's CPU while a load runs through the router, and the load's rate."""
    pct, rps = cpu_pct_during(daemon(cp), lambda: throughput(cp.http_port, host))
    return pct, float(rps)  # type: ignore[arg-type]


def idle_cpu(cp: ControlPlane, app: str) -> float:
    """The control plane's CPU with ten idle instances of `app` (web scaled to 10)."""
    cp.cli("scale", "web=10", "--app", app, timeout=120)
    time.sleep(2)
    pct, _ = cpu_pct_during(daemon(cp), lambda: time.sleep(IDLE_SECONDS))
    return pct


def counted_total(cp: ControlPlane) -> float:
    """Every request the control plane has counted, from its /metrics."""
    api = Endpoint.find(cp.env)
    text = httpx.get(
        f"{api.url}/metrics", headers={"Authorization": f"Bearer {api.token}"}, timeout=10
    ).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "launchdeck_http_requests"
        for sample in family.samples
    )


def settled_total(cp: ControlPlane, quiet: float = 0.5, timeout: float = 15.0) -> float:
    """The count once it stops moving for `quiet` seconds."""
    deadline, last = time.monotonic() + timeout, counted_total(cp)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = counted_total(cp)
        if now == last:
            return now
        last = now
    return last


def lost_requests(cp: ControlPlane, host: str, seconds: float = 3.0) -> tuple[int, int, int]:
    """Requests wrk completed through the router, how many of them the metrics missed, and how
    many more they counted: requests still in flight when wrk stops (up to one per connection)
    are cut off, which wrk does not count and HAProxy logs."""
    before = settled_total(cp)  # the load before this one has been counted to its last line
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{seconds:g}s", "-H", f"Host: {host}",
         f"http://127.0.0.1:{cp.http_port}/"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"(\d+) requests in", out)
    assert found, out
    sent = int(found.group(1))
    deadline = time.monotonic() + 15
    while counted_total(cp) - before < sent and time.monotonic() < deadline:
        time.sleep(0.2)
    counted = int(settled_total(cp) - before)
    return sent, max(sent - counted, 0), max(counted - sent, 0)
