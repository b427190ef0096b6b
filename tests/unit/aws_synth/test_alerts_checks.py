"""Alerts that cannot become CloudWatch alarms are refused before synthesis, each with a fix."""

from __future__ import annotations

from dataclasses import replace

import pytest

from launchdeck.domain.alerts import AlertMetric, AlertRule, LogAlert, MetricAlert
from launchdeck.drivers.aws.synth import AwsSynthError, synth_env, validate
from tests.unit.aws_synth.test_alerts import with_alerts
from tests.unit.aws_synth.variants import ENVS, VARIANTS, manifest


def problems(name: str, *rules: AlertRule, env: str = "production") -> list[str]:
    return [str(issue) for issue in validate(with_alerts(name, *rules), env)]


def test_the_variants_alerts_pass() -> None:
    assert [
        issue for name in VARIANTS for env in ENVS for issue in validate(manifest(name), env)
    ] == []


def test_request_figures_of_a_service_without_a_port() -> None:
    rule = MetricAlert("slow", AlertMetric.P95_MS, 500, service="worker")
    assert problems("full", rule) == [
        "alerts.0.service: has no port, so the load balancer measures no p95_ms for it "
        "(got 'worker'); fix: alert on its cpu or memory instead, or add port = \"$PORT\" to it"
    ]


def test_request_figures_without_a_load_balancer() -> None:
    rule = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02)
    assert problems("workers", rule) == [
        "alerts.0.metric: needs a load balancer, and no service has a port (got 'error_rate'); "
        'fix: alert on cpu or memory instead, or add port = "$PORT" to a service'
    ]


def test_an_unknown_service() -> None:
    rule = LogAlert("oops", "Traceback", service="wrker")
    assert problems("full", rule) == [
        "alerts.0.service: is not a service of this app (got 'wrker'); "
        "fix: use one of: web, worker, or leave service out for all"
    ]


def test_windows_longer_than_a_day() -> None:
    rules = (
        MetricAlert("long", AlertMetric.CPU, 0.9, for_s=2 * 86400),
        MetricAlert("many", AlertMetric.CPU, 0.9, datapoints=(3, 2000)),
        LogAlert("rare", "Traceback", within_s=7 * 86400),
    )
    assert problems("web", *rules) == [
        "alerts.0.for: is longer than a day, the longest window a CloudWatch alarm evaluates "
        "(one datapoint a minute) (got '48h'); "
        'fix: use for = "24h" or less, or datapoints = "M of N" with N at most 1440',
        "alerts.1.datapoints: is longer than a day, the longest window a CloudWatch alarm "
        "evaluates (one datapoint a minute) (got '3 of 2000'); "
        'fix: use for = "24h" or less, or datapoints = "M of N" with N at most 1440',
        "alerts.2.within: is longer than a day, the longest period a CloudWatch alarm takes "
        "(got '168h'); fix: use within = \"24h\" or less",
    ]


def test_a_log_pattern_cloudwatch_cannot_run_names_where_it_is_written() -> None:
    m = with_alerts("full", LogAlert("tracebacks", "Traceback"))
    own = LogAlert("timeouts", r"timeout after \d+s")
    production = replace(m.environments["production"], alerts=(own,))
    m = replace(m, environments={**m.environments, "production": production})
    issues = validate(m, "production")
    assert [(issue.path, issue.value) for issue in issues] == [
        ("environments.production.alerts.0.log", r"timeout after \d+s")
    ]
    assert issues[0].message.startswith("is a regular expression CloudWatch Logs cannot run")
    assert validate(m, "staging") == []


def test_at_most_five_regex_filters_on_a_log_group() -> None:
    rules = [LogAlert(f"r{n}", f"E{n}[0-9]", service="web") for n in range(5)]
    rules.append(LogAlert("everywhere", "FATAL|[Pp]anic"))
    rules.append(LogAlert("text", "no regex needed", service="web"))
    assert problems("full", *rules) == [
        "alerts.5.log: is a regular expression beyond the 5 CloudWatch allows on a log group "
        "(of web) (got 'FATAL|[Pp]anic'); fix: write it as text alternatives "
        "('Traceback|CRITICAL' needs no regex), or join two alerts' patterns with |"
    ]


def test_names_that_would_share_logical_ids() -> None:
    rules = (
        MetricAlert("cpu", AlertMetric.CPU, 0.9),  # CpuWebAlarm, CpuWorkerAlarm
        MetricAlert("cpu-web", AlertMetric.MEMORY, 0.9, service="web"),  # CpuWebAlarm
        LogAlert("slow_logs", "slow"),
        LogAlert("slow-logs", "slow query"),
    )
    assert problems("full", *rules) == [
        "alerts.1.name: gets the same CloudFormation name as alert 'cpu' (CpuWebAlarm) "
        "(got 'cpu-web'); fix: rename 'cpu-web' or 'cpu'",
        "alerts.3.name: gets the same CloudFormation name as alert 'slow_logs' "
        "(SlowLogsAlarm) (got 'slow-logs'); fix: rename 'slow-logs' or 'slow_logs'",
    ]


def test_a_name_cloudwatch_cannot_take() -> None:
    assert problems("web", LogAlert("zürich", "Traceback")) == [
        "alerts.0.name: should be printable ASCII: CloudWatch alarm names take nothing else "
        "(got 'zürich'); fix: rename the alert with letters, digits and dashes"
    ]


def test_synth_refuses_with_every_issue() -> None:
    rules = (
        LogAlert("grouped", "(a|b)c"),
        MetricAlert("slow", AlertMetric.P99_MS, 900, service="worker"),
    )
    with pytest.raises(AwsSynthError) as refused:
        synth_env(with_alerts("full", *rules), "staging")
    assert [issue.path for issue in refused.value.issues] == ["alerts.0.log", "alerts.1.service"]


def test_figures_only_one_host_measures() -> None:
    rule = MetricAlert("crash-loop", AlertMetric.CRASHES, 5)
    assert problems("web", rule) == [
        "alerts.0.metric: is measured by launchdeck's one-host runtime: on AWS, ECS replaces "
        "failing tasks and RDS keeps its own storage, with no such figure in CloudWatch "
        "(got 'crashes'); fix: turn it off here: [[environments.<env>.alerts]] name = "
        "'crash-loop' and enabled = false; or alert on cpu or memory"
    ]
