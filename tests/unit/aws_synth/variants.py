"""The manifests every synth test and lint gate runs on: examples/hello and the six kept here."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from launchdeck.domain import Manifest
from launchdeck.domain.alerts import AlertMetric, AlertRule, LogAlert, MetricAlert
from launchdeck.drivers.aws.synth import Template, stack_names, synth_env, synth_shared
from launchdeck.manifest import load_manifest, parse_manifest

ROOT = Path(__file__).parents[3]
HERE = Path(__file__).parent / "manifests"
ENVS = ("staging", "production")


# Every kind of alert, per service and environment-wide, so the lint gates see their alarms.
# TODO: move them into the .toml files as [[alerts]] once load_manifest reads them.
ALERTS: dict[str, tuple[AlertRule, ...]] = {
    "web": (
        MetricAlert("tail", AlertMetric.P99_MS, 2000, datapoints=(3, 5)),
        MetricAlert("web-errors", AlertMetric.ERROR_RATE, 0.05, service="web"),
        MetricAlert("quiet", AlertMetric.REQUESTS_PER_S, 0.1, above=False, for_s=900),
    ),
    "full": (
        MetricAlert("slow", AlertMetric.P95_MS, 500, for_s=300, service="web"),
        MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02, for_s=120),
        MetricAlert("cpu", AlertMetric.CPU, 0.8, for_s=300),
        LogAlert("tracebacks", "Traceback|CRITICAL", count=5),
        LogAlert("worker-errors", "[Ee]rror|FATAL", count=10, within_s=300, service="worker"),
    ),
    "cdn": (
        MetricAlert("api-median", AlertMetric.P50_MS, 200, service="api-v2"),
        MetricAlert("busy", AlertMetric.REQUESTS_PER_S, 500, service="api-v2"),
    ),
    "workers": (
        MetricAlert("memory", AlertMetric.MEMORY, 0.9, for_s=600),
        LogAlert("oom", "MemoryError", service="worker"),
    ),
    # request figures of services a canary covers read both of their target groups
    "canary": (
        MetricAlert("api-slow", AlertMetric.P95_MS, 800, service="api"),
        MetricAlert("web-errors", AlertMetric.ERROR_RATE, 0.05, service="web"),
        MetricAlert("api-quiet", AlertMetric.REQUESTS_PER_S, 0.1, above=False, service="api"),
    ),
}
# production's own: a tighter "slow" (replaces the top-level one) and one more.
PRODUCTION_ALERTS: dict[str, tuple[AlertRule, ...]] = {
    "full": (
        MetricAlert("slow", AlertMetric.P95_MS, 300, for_s=300, service="web"),
        LogAlert("payments", "payment failed|card declined", count=3, service="web"),
    ),
}


def manifest(name: str) -> Manifest:
    """`hello` (examples/hello) or one of manifests/<name>.toml: web, full, cdn, workers, canary,
    cron; with the ALERTS above."""
    if name == "hello":
        return load_manifest(ROOT / "examples" / "hello")
    found = parse_manifest((HERE / f"{name}.toml").read_text(), source=f"{name}.toml")
    return _with_alerts(found, name)


def _with_alerts(found: Manifest, name: str) -> Manifest:
    environments = dict(found.environments)
    if name in PRODUCTION_ALERTS:
        environments["production"] = replace(
            environments["production"], alerts=PRODUCTION_ALERTS[name]
        )
    return replace(found, alerts=ALERTS.get(name, ()), environments=environments)


VARIANTS = ("hello", "web", "full", "cdn", "workers", "canary", "cron")


def all_templates() -> dict[str, Template]:
    """stack name -> template, for the shared stack and both environments of every variant."""
    templates = {}
    for name in VARIANTS:
        m = manifest(name)
        assert m.app is not None
        templates[stack_names(m.app, "staging")[0]] = synth_shared(m)
        for env in ENVS:
            templates[stack_names(m.app, env)[1]] = synth_env(m, env)
    return templates
