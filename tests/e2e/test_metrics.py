"""`launchdeck metrics`: every request through the router is counted, by status and instance,
with latencies the client agrees with; read back through the CLI as a user would."""

import statistics
import subprocess
import time
from collections import Counter

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from launchdeck.cli.client import Endpoint
from tests.harness import copy_example, send_each

pytestmark = pytest.mark.e2e

HOST = "hello-staging.localhost"


def web_metrics(cp, expected: int) -> dict:
    """The metrics once `expected` requests are counted (they arrive within moments)."""
    deadline = time.monotonic() + 20
    while True:
        data = cp.cli("metrics", "--app", "hello", "--since", "10m", "--json").json()
        web = data["services"].get("web")
        if (web and web["total"]["requests"] >= expected) or time.monotonic() > deadline:
            return data
        time.sleep(0.3)


def test_every_request_is_counted_and_latency_agrees_with_the_client(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    web = sorted(
        i["id"] for i in cp.cli("ps", "--app", "hello", "--json").json() if i["service"] == "web"
    )

    # a known mix: 5% server errors, 2% not found, 10% answered after 100 ms (the p95)
    paths = ["/_status/500"] * 50 + ["/_status/404"] * 20 + ["/_sleep/100"] * 100 + ["/"] * 830
    statuses, latencies = send_each(cp.http_port, HOST, paths)
    assert statuses == {200: 930, 404: 20, 500: 50}

    data = web_metrics(cp, 1000)
    total = data["services"]["web"]["total"]
    assert total["requests"] == 1000  # exactly: none lost, none counted twice
    assert total["statuses"] == {"2xx": 930, "4xx": 20, "5xx": 50}
    assert total["error_rate"] == pytest.approx(0.05)
    client_p95 = statistics.quantiles(latencies, n=100)[94]
    assert abs(total["p95_ms"] - client_p95) <= 0.1 * client_p95, (total["p95_ms"], client_p95)
    instances = {i["instance"]: i for i in data["instances"] if i["service"] == "web"}
    assert sorted(instances) == web and sum(i["requests"] for i in instances.values()) == 1000

    shown = cp.cli("metrics", "--app", "hello", "--since", "10m").out
    assert "web  1000 requests in the last 10m" in shown
    assert "requests/s" in shown and "errors" in shown and "p95" in shown

    # the same counts for a Prometheus scraper, in a format promtool accepts
    api = Endpoint.find(cp.env)
    exposition = httpx.get(
        f"{api.url}/metrics", headers={"Authorization": f"Bearer {api.token}"}, timeout=10
    ).text
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=exposition, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    families = {f.name: f for f in text_string_to_metric_families(exposition)}
    counted = Counter()
    for sample in families["launchdeck_http_requests"].samples:
        assert sample.labels["app"] == "hello" and sample.labels["release"] == "v1"
        counted[sample.labels["status"]] += sample.value
    assert counted == {"2xx": 930, "4xx": 20, "5xx": 50}
    assert httpx.get(f"{api.url}/metrics", timeout=10).status_code == 401


def test_instances_report_their_memory(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    ids = sorted(i["id"] for i in cp.cli("ps", "--app", "hello", "--json").json())
    deadline = time.monotonic() + 30  # one collection pass: every 10 s
    while True:
        rows = cp.cli("metrics", "--app", "hello", "--json").json()["instances"]
        reported = {r["instance"]: r for r in rows if r.get("memory_bytes")}
        if sorted(reported) == ids or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert sorted(reported) == ids
    for row in reported.values():
        assert 1 * 2**20 < row["memory_bytes"] < 512 * 2**20  # a small Python process
        assert row["open_fds"] >= 3
    shown = cp.cli("top", "--once", "--app", "hello").out
    assert all(i in shown for i in ids) and "MiB" in shown
