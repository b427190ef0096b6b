"""`/metrics`: the exposition parses with prometheus_client's own parser and passes
`promtool check metrics`, with the labels app, env, service, instance and release."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from launchdeck.controlplane.metrics.prometheus import Exposition, registry
from launchdeck.controlplane.metrics.store import RequestPoint
from launchdeck.domain import Health, Instance, InstanceState
from launchdeck.domain.metrics import Sample, Series, bucket_of

WEB = Series("shop", "staging", "web", "web.v3-1a2b3c", "v3")


def exposition() -> str:
    totals = [
        RequestPoint(
            WEB, 0, 0, 100, {"2xx": 95, "5xx": 5}, 12_000,
            {bucket_of(3): 90, bucket_of(120): 10}, {bucket_of(2): 100},
        )
    ]  # fmt: skip
    samples = [
        Sample("memory_bytes", WEB, 52e6, 1.0),
        Sample("memory_limit_bytes", WEB, 512e6, 1.0),
        Sample("cpu", WEB, 0.25, 1.0),
    ]
    instances = [
        Instance(
            id=WEB.instance, app="shop", env="staging", service="web", release=3,
            state=InstanceState.RUNNING, health=Health.HEALTHY, restarts=2,
        )
    ]  # fmt: skip
    found = Exposition(lambda: totals, lambda: samples, lambda: instances)
    return generate_latest(registry(found)).decode()


def test_the_exposition_parses_with_the_labels_and_values() -> None:
    families = {f.name: f for f in text_string_to_metric_families(exposition())}
    requests = {s.labels["status"]: s.value for s in families["launchdeck_http_requests"].samples}
    assert requests == {"2xx": 95.0, "5xx": 5.0}
    [sample, *_] = families["launchdeck_http_requests"].samples
    assert {k: v for k, v in sample.labels.items() if k != "status"} == {
        "app": "shop", "env": "staging", "service": "web", "instance": "web.v3-1a2b3c",
        "release": "v3",
    }  # fmt: skip
    latency = families["launchdeck_http_request_duration_seconds"].samples
    buckets = {s.labels["le"]: s.value for s in latency if s.name.endswith("_bucket")}
    assert buckets["0.005"] == 90 and buckets["0.1"] == 90 and buckets["0.25"] == 100
    assert buckets["+Inf"] == 100
    assert families["launchdeck_memory_bytes"].samples[0].value == 52e6
    assert families["launchdeck_instance_restarts"].samples[0].value == 2
    assert families["launchdeck_instance_up"].samples[0].value == 1


def test_promtool_finds_nothing_wrong() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: `make setup` installs Debian's prometheus package")
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=exposition(), capture_output=True, text=True
    )
    assert checked.returncode == 0 and checked.stdout + checked.stderr == "", checked


def test_the_grafana_dashboard_charts_metrics_the_exposition_has() -> None:
    """docs/grafana-dashboard.json stays true: every metric it queries is served."""
    dashboard = (Path(__file__).parents[3] / "docs" / "grafana-dashboard.json").read_text()
    queried = set(re.findall(r"launchdeck_[a-z_]+", dashboard))
    served = set(re.findall(r"^(launchdeck_[a-z_]+)", exposition(), re.M))
    assert queried and queried <= served, queried - served
