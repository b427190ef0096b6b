"""Alerts across each other and per environment: unique names, overrides, what an environment
turns off, request figures of services that get no requests."""

import pytest

from launchdeck.domain import ServiceSpec
from launchdeck.domain.alerts import AlertMetric, LogAlert, MetricAlert, with_builtins
from launchdeck.manifest import ManifestError, parse_manifest

SERVICES = (
    '[services.web]\ncommand = "serve"\nport = "$PORT"\n[services.worker]\ncommand = "work"\n'
)
TOP = """
[[alerts]]
name = "slow"
metric = "p95_ms"
above = 500
for = "5m"
[[alerts]]
name = "tracebacks"
log = "Traceback"
count = 5
"""
SLOW = MetricAlert("slow", AlertMetric.P95_MS, 500.0, for_s=300.0)
TRACEBACKS = LogAlert("tracebacks", "Traceback", count=5)


def issues(text: str, services: str = SERVICES) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(services + text)
    return [str(issue) for issue in caught.value.issues]


# -- environments --------------------------------------------------------------------------------


def test_every_environment_gets_the_top_level_alerts() -> None:
    manifest = parse_manifest(SERVICES + TOP + "[environments.production]\n")
    assert manifest.for_env("production").alerts == (SLOW, TRACEBACKS)
    assert manifest.for_env("staging").alerts == (SLOW, TRACEBACKS)


def test_an_environment_alert_of_the_same_name_replaces_it_whole() -> None:
    text = TOP + (
        '[[environments.production.alerts]]\nname = "slow"\nmetric = "p99_ms"\nabove = "1.5s"\n'
    )
    manifest = parse_manifest(SERVICES + text)
    faster = MetricAlert("slow", AlertMetric.P99_MS, 1500.0)  # no `for`: it is not inherited
    assert manifest.for_env("production").alerts == (faster, TRACEBACKS)
    assert manifest.for_env("staging").alerts == (SLOW, TRACEBACKS)


def test_an_environment_turns_an_alert_off() -> None:
    text = TOP + '[[environments.dev.alerts]]\nname = "slow"\nenabled = false\n'
    manifest = parse_manifest(SERVICES + text)
    assert manifest.environments["dev"].alerts_off == frozenset({"slow"})
    assert manifest.environments["dev"].alerts == ()
    assert manifest.for_env("dev").alerts == (TRACEBACKS,)
    assert manifest.for_env("production").alerts == (SLOW, TRACEBACKS)


def test_an_environment_adds_its_own_alerts() -> None:
    text = TOP + (
        '[[environments.production.alerts]]\nname = "busy"\nmetric = "cpu"\nabove = "80%"\n'
        'service = "worker"\n'
    )
    busy = MetricAlert("busy", AlertMetric.CPU, 0.8, service="worker")
    manifest = parse_manifest(SERVICES + text)
    assert manifest.for_env("production").alerts == (SLOW, TRACEBACKS, busy)
    assert manifest.for_env("staging").alerts == (SLOW, TRACEBACKS)


def test_a_top_level_alert_that_is_off_can_be_on_in_one_environment() -> None:
    text = (
        '[[alerts]]\nname = "idle"\nmetric = "requests_per_s"\nbelow = 1\nenabled = false\n'
        '[[environments.production.alerts]]\nname = "idle"\nmetric = "requests_per_s"\n'
        "below = 1\n"
    )
    manifest = parse_manifest(SERVICES + text)
    idle = MetricAlert("idle", AlertMetric.REQUESTS_PER_S, 1.0, above=False)
    assert manifest.alerts == ()
    assert manifest.for_env("production").alerts == (idle,)


def test_turning_off_an_alert_that_does_not_exist() -> None:
    text = TOP + '[[environments.dev.alerts]]\nname = "slwo"\nenabled = false\n'
    assert issues(text) == [
        "environments.dev.alerts.0.name: names no top-level [[alerts]] and no built-in alert "
        "to turn off (got 'slwo'); fix: did you mean 'slow'? the alerts to turn off are: slow, "
        "tracebacks, autoscale-capped, backup-failed, crash-loop, failing-health, low-disk"
    ]


def test_turning_off_an_alert_when_there_are_none() -> None:
    text = '[[environments.dev.alerts]]\nname = "slow"\nenabled = false\n'
    assert issues(text) == [
        "environments.dev.alerts.0.name: names no top-level [[alerts]] and no built-in alert "
        "to turn off (got 'slow'); fix: remove this entry; the alerts to turn off are: "
        "autoscale-capped, backup-failed, crash-loop, failing-health, low-disk"
    ]


def test_a_top_level_entry_that_only_turns_off() -> None:
    assert issues('[[alerts]]\nname = "slow"\nenabled = false\n') == [
        "alerts.0.enabled: turns nothing off: this alert has no metric or log, and no "
        "built-in alert has this name (got False); fix: remove this entry; to turn an alert off "
        "in one environment, add [[environments.<env>.alerts]] with its name and enabled = "
        "false; the built-in alerts are autoscale-capped, backup-failed, crash-loop, failing-health, low-disk"
    ]


def test_built_in_alerts_are_turned_off_everywhere_or_in_one_environment() -> None:
    text = (
        '[[alerts]]\nname = "low-disk"\nenabled = false\n'
        '[[environments.dev.alerts]]\nname = "crash-loop"\nenabled = false\n'
    )
    manifest = parse_manifest(SERVICES + text)  # no error
    assert manifest.alerts == () and manifest.alerts_off == {"low-disk"}
    assert manifest.for_env("dev").alerts_off == {"low-disk", "crash-loop"}
    rules = with_builtins(manifest.for_env("dev").alerts, manifest.for_env("dev").alerts_off)
    assert [rule.name for rule in rules] == ["failing-health", "autoscale-capped"]
    assert [rule.name for rule in with_builtins((), frozenset())] == [
        "crash-loop", "failing-health", "low-disk", "autoscale-capped"
    ]  # fmt: skip


def test_an_alert_named_like_a_built_in_one_replaces_it() -> None:
    text = '[[alerts]]\nname = "crash-loop"\nmetric = "crashes"\nabove = 5\n'
    manifest = parse_manifest(SERVICES + text)
    rules = with_builtins(manifest.alerts, manifest.alerts_off)
    assert rules[0] == MetricAlert("crash-loop", AlertMetric.CRASHES, 5.0)
    assert [rule.name for rule in rules] == [
        "crash-loop", "failing-health", "low-disk", "autoscale-capped"
    ]  # fmt: skip


def test_an_environment_alert_is_checked_like_a_top_level_one() -> None:
    text = TOP + (
        '[[environments.production.alerts]]\nname = "slow"\nmetric = "error_rate"\nabove = 2\n'
    )
    assert issues(text) == [
        "environments.production.alerts.0.above: error_rate is a percentage: write it with % "
        '(got 2); fix: use above = "2%"'
    ]


# -- names -------------------------------------------------------------------------------------


def test_duplicate_names() -> None:
    text = TOP + '[[alerts]]\nname = "slow"\nmetric = "p99_ms"\nabove = 900\n'
    assert issues(text) == [
        "alerts.2.name: should be unique: alerts.0 has this name too (got 'slow'); "
        "fix: give each alert its own name"
    ]


def test_duplicate_names_within_an_environment() -> None:
    text = (
        '[[environments.qa.alerts]]\nname = "hot"\nmetric = "cpu"\nabove = "80%"\n'
        '[[environments.qa.alerts]]\nname = "hot"\nmetric = "cpu"\nabove = "90%"\n'
    )
    assert issues(text) == [
        "environments.qa.alerts.1.name: should be unique: environments.qa.alerts.0 has this "
        "name too (got 'hot'); fix: give each alert its own name"
    ]


def test_a_bad_name() -> None:
    assert issues('[[alerts]]\nname = "High Errors"\nmetric = "cpu"\nabove = "80%"\n') == [
        "alerts.0.name: should be at most 30 lowercase letters, digits or '-', starting with a "
        "letter (got 'High Errors'); fix: use 'high-errors'"
    ]


# -- request figures need requests ---------------------------------------------------------------


def test_a_request_metric_of_a_service_without_a_port() -> None:
    text = '[[alerts]]\nname = "slow"\nmetric = "p95_ms"\nabove = 500\nservice = "worker"\n'
    assert issues(text) == [
        "alerts.0.service: worker has no port, so it gets no requests and has no p95_ms "
        "(got 'worker'); fix: use service = \"web\", or watch cpu or memory"
    ]


def test_a_request_metric_when_no_service_has_a_port() -> None:
    workers = '[services.worker]\ncommand = "work"\n'
    text = '[[alerts]]\nname = "errors"\nmetric = "error_rate"\nabove = "2%"\n'
    assert issues(text, workers) == [
        "alerts.0.metric: needs requests to measure, and no service has a port "
        "(got 'error_rate'); fix: add port = \"$PORT\" to a service, or watch cpu or memory"
    ]


def test_resource_and_log_alerts_suit_workers() -> None:
    text = (
        '[[alerts]]\nname = "mem"\nmetric = "memory"\nabove = "90%"\nservice = "worker"\n'
        '[[alerts]]\nname = "oom"\nlog = "MemoryError"\nservice = "worker"\n'
    )
    assert len(parse_manifest(SERVICES + text).alerts) == 2


def test_procfile_services_count_for_alerts() -> None:
    procfile = {
        "web": ServiceSpec("web", "serve", port=True),
        "clock": ServiceSpec("clock", "tick"),
    }
    text = '[[alerts]]\nname = "slow"\nmetric = "p95_ms"\nabove = 500\nservice = "clock"\n'
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, services=procfile)
    assert [str(issue) for issue in caught.value.issues] == [
        "alerts.0.service: clock has no port, so it gets no requests and has no p95_ms "
        "(got 'clock'); fix: use service = \"web\", or watch cpu or memory"
    ]
