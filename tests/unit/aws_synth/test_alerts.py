"""The manifest's [[alerts]] as CloudWatch alarms and log metric filters on the alert topic."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from launchdeck.domain import Manifest
from launchdeck.domain.alerts import AlertMetric, AlertRule, LogAlert, MetricAlert
from launchdeck.drivers.aws.clients.stacks import MAX_TEMPLATE_BODY, MAX_TEMPLATE_URL_BODY
from launchdeck.drivers.aws.synth import synth_env, synth_shared, to_json
from launchdeck.manifest import parse_manifest
from tests.unit.aws_synth.test_synth import of_type
from tests.unit.aws_synth.variants import ENVS, VARIANTS, manifest

LB = {"Name": "LoadBalancer", "Value": {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]}}
WEB_TARGETS = {
    "Name": "TargetGroup",
    "Value": {"Fn::GetAtt": ["WebTargets", "TargetGroupFullName"]},
}
TOPIC = [{"Ref": "Alerts"}]


def with_alerts(name: str, *rules: AlertRule) -> Manifest:
    """The variant with exactly `rules`, in every environment."""
    found = manifest(name)
    environments = {env: replace(o, alerts=()) for env, o in found.environments.items()}
    return replace(found, alerts=rules, environments=environments)


def resources(m: Manifest, env: str = "production") -> dict[str, Any]:
    found: dict[str, Any] = synth_env(m, env).to_dict()["Resources"]
    return found


def alarm(m: Manifest, logical_id: str, env: str = "production") -> dict[str, Any]:
    found = resources(m, env)[logical_id]
    assert found["Type"] == "AWS::CloudWatch::Alarm"
    props: dict[str, Any] = found["Properties"]
    return props


def test_p95_of_a_service_is_its_target_groups_response_time_in_seconds() -> None:
    m = with_alerts("full", MetricAlert("slow", AlertMetric.P95_MS, 500, for_s=300, service="web"))
    assert alarm(m, "SlowAlarm") == {
        "AlarmName": "launchdeck-shop-production-slow",
        "AlarmDescription": "slow: p95 response time of web above 500 ms for 5m",
        "AlarmActions": TOPIC,
        "OKActions": TOPIC,
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "TargetResponseTime",
        "Dimensions": [LB, WEB_TARGETS],
        "ExtendedStatistic": "p95",
        "Period": 60,
        "Threshold": 0.5,
        "ComparisonOperator": "GreaterThanThreshold",
        "DatapointsToAlarm": 5,
        "EvaluationPeriods": 5,
        "TreatMissingData": "notBreaching",
    }


@pytest.mark.parametrize(
    ("metric", "statistic"), [(AlertMetric.P50_MS, "p50"), (AlertMetric.P99_MS, "p99")]
)
def test_other_percentiles_of_the_whole_load_balancer(metric: AlertMetric, statistic: str) -> None:
    found = alarm(with_alerts("web", MetricAlert("latency", metric, 1500)), "LatencyAlarm")
    assert found["ExtendedStatistic"] == statistic
    assert found["Dimensions"] == [LB]
    assert found["Threshold"] == 1.5
    assert found["AlarmDescription"].startswith("latency: ")
    assert "of the load balancer above 1500 ms for 1m" in found["AlarmDescription"]


@pytest.mark.parametrize(
    ("for_s", "datapoints", "expected"),
    [(0.0, None, (1, 1)), (30.0, None, (1, 1)), (90.0, None, (2, 2)), (600.0, None, (10, 10)),
     (300.0, (3, 5), (3, 5))],
)  # fmt: skip
def test_for_is_whole_minutes_all_breaching_and_datapoints_m_of_n(
    for_s: float, datapoints: tuple[int, int] | None, expected: tuple[int, int]
) -> None:
    rule = MetricAlert("busy", AlertMetric.CPU, 0.8, for_s=for_s, datapoints=datapoints)
    found = alarm(with_alerts("web", rule), "BusyWebAlarm")
    assert (found["DatapointsToAlarm"], found["EvaluationPeriods"]) == expected
    assert found["Period"] == 60


def test_error_rate_of_the_load_balancer_counts_its_own_5xx_in_percent() -> None:
    found = alarm(with_alerts("web", MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02)),
                  "ErrorsAlarm")  # fmt: skip
    assert found["Threshold"] == 2.0
    assert "Namespace" not in found and "Period" not in found
    queries = {query["Id"]: query for query in found["Metrics"]}
    assert list(queries) == ["target", "elb", "requests", "rate"]
    assert queries["rate"] == {
        "Id": "rate",
        "Label": "5xx per 100 requests",
        "Expression": "100 * (FILL(target, 0) + FILL(elb, 0)) / requests",
        "ReturnData": True,
    }
    stats = {key: q["MetricStat"] for key, q in queries.items() if key != "rate"}
    assert [s["Metric"]["MetricName"] for s in stats.values()] == [
        "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "RequestCount"
    ]  # fmt: skip
    assert all(s["Stat"] == "Sum" and s["Period"] == 60 for s in stats.values())
    assert all(s["Metric"]["Dimensions"] == [LB] for s in stats.values())
    assert all(q["ReturnData"] is False for key, q in queries.items() if key != "rate")


def test_error_rate_of_a_service_is_its_target_groups_5xx() -> None:
    rule = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.05, service="web")
    found = alarm(with_alerts("web", rule), "ErrorsAlarm")
    queries = {query["Id"]: query for query in found["Metrics"]}
    assert list(queries) == ["target", "requests", "rate"]
    assert queries["rate"]["Expression"] == "100 * FILL(target, 0) / requests"
    assert queries["target"]["MetricStat"]["Metric"]["Dimensions"] == [LB, WEB_TARGETS]
    assert found["Threshold"] == 5.0


def test_requests_per_second_and_a_traffic_floor_that_silence_breaches() -> None:
    busy = MetricAlert("busy", AlertMetric.REQUESTS_PER_S, 500, service="web")
    quiet = MetricAlert("quiet", AlertMetric.REQUESTS_PER_S, 0.5, above=False, for_s=900)
    m = with_alerts("web", busy, quiet)
    found = alarm(m, "BusyAlarm")
    rate = found["Metrics"][-1]
    assert rate["Expression"] == "requests / 60" and rate["ReturnData"] is True
    assert found["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == "RequestCount"
    assert (found["Threshold"], found["TreatMissingData"]) == (500, "notBreaching")
    assert found["AlarmDescription"] == "busy: requests per second of web above 500/s for 1m"
    floor = alarm(m, "QuietAlarm")
    assert floor["ComparisonOperator"] == "LessThanThreshold"
    assert floor["TreatMissingData"] == "breaching"  # no requests: no RequestCount at all
    assert floor["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"] == [LB]
    assert floor["EvaluationPeriods"] == 15


def test_cpu_without_a_service_is_one_alarm_per_service() -> None:
    m = with_alerts("full", MetricAlert("cpu", AlertMetric.CPU, 0.8, for_s=300))
    alarms = of_type({"Resources": resources(m)}, "AWS::CloudWatch::Alarm")
    assert {key for key in alarms if key.startswith("Cpu")} == {"CpuWebAlarm", "CpuWorkerAlarm"}
    worker = alarms["CpuWorkerAlarm"]
    assert worker["AlarmName"] == "launchdeck-shop-production-cpu-worker"
    assert worker["AlarmDescription"] == "cpu: CPU of worker above 80% for 5m"
    assert (worker["Namespace"], worker["MetricName"]) == ("AWS/ECS", "CPUUtilization")
    assert worker["Dimensions"] == [
        {"Name": "ClusterName", "Value": "launchdeck-shop-production"},
        {"Name": "ServiceName", "Value": {"Fn::GetAtt": ["WorkerService", "Name"]}},
    ]
    assert (worker["Statistic"], worker["Threshold"]) == ("Average", 80.0)


def test_memory_of_one_service() -> None:
    rule = MetricAlert("memory", AlertMetric.MEMORY, 0.9, service="worker")
    m = with_alerts("full", rule)
    found = alarm(m, "MemoryAlarm")
    assert found["MetricName"] == "MemoryUtilization"
    assert found["Threshold"] == 90.0
    assert found["AlarmName"] == "launchdeck-shop-production-memory"
    assert "MemoryWebAlarm" not in resources(m)


def test_a_log_alert_counts_matches_of_every_services_log_group() -> None:
    m = with_alerts("full", LogAlert("tracebacks", "Traceback|CRITICAL", count=5, within_s=90))
    found = resources(m)
    filters = {
        k: r["Properties"] for k, r in found.items() if r["Type"] == "AWS::Logs::MetricFilter"
    }
    assert set(filters) == {"TracebacksWebLogFilter", "TracebacksWorkerLogFilter"}
    assert filters["TracebacksWorkerLogFilter"] == {
        "LogGroupName": {"Ref": "WorkerLogs"},
        "FilterPattern": '?"Traceback" ?"CRITICAL"',
        "MetricTransformations": [
            {
                "MetricNamespace": "launchdeck/shop/production",
                "MetricName": "tracebacks",
                "MetricValue": "1",
                "DefaultValue": 0,
                "Unit": "Count",
            }
        ],
    }
    assert alarm(m, "TracebacksAlarm") == {
        "AlarmName": "launchdeck-shop-production-tracebacks",
        "AlarmDescription": "tracebacks: 5 or more lines of the environment's logs matched "
        "'Traceback|CRITICAL' within 2m",
        "AlarmActions": TOPIC,
        "OKActions": TOPIC,
        "Namespace": "launchdeck/shop/production",
        "MetricName": "tracebacks",
        "Statistic": "Sum",
        "Period": 120,  # within 90s, rounded up to whole minutes
        "Threshold": 5,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "DatapointsToAlarm": 1,
        "EvaluationPeriods": 1,
        "TreatMissingData": "notBreaching",
    }


def test_a_log_alert_of_one_service_filters_its_log_group_with_a_regex() -> None:
    rule = LogAlert("errors", "[Ee]rror|FATAL", count=10, within_s=300, service="worker")
    found = resources(with_alerts("full", rule), "staging")
    assert found["ErrorsLogFilter"]["Properties"]["FilterPattern"] == "%[Ee]rror|FATAL%"
    assert found["ErrorsLogFilter"]["Properties"]["LogGroupName"] == {"Ref": "WorkerLogs"}
    namespace = found["ErrorsLogFilter"]["Properties"]["MetricTransformations"][0]
    assert namespace["MetricNamespace"] == "launchdeck/shop/staging"
    props = found["ErrorsAlarm"]["Properties"]
    assert (props["Period"], props["Threshold"]) == (300, 10)
    assert "of worker's logs matched" in props["AlarmDescription"]
    assert not any(key.startswith("ErrorsWeb") for key in found)


def test_each_environment_gets_its_own_alerts() -> None:
    staging, production = (resources(manifest("full"), env) for env in ENVS)
    assert staging["SlowAlarm"]["Properties"]["Threshold"] == 0.5
    assert production["SlowAlarm"]["Properties"]["Threshold"] == 0.3  # production's own
    assert "PaymentsAlarm" in production and "PaymentsAlarm" not in staging


AS_WRITTEN = """
app = "shop"

[services.web]
command = "gunicorn shop.wsgi"
port = "$PORT"

[[alerts]]
name = "slow"
metric = "p95_ms"
above = 500
for = "5m"

[[alerts]]
name = "errors"
metric = "error_rate"
above = "2%"
datapoints = "3 of 5"

[[alerts]]
name = "tracebacks"
log = "Traceback|CRITICAL"
count = 5
within = "1m"
"""


def test_alerts_as_written_in_launchdeck_toml() -> None:
    found = resources(parse_manifest(AS_WRITTEN), "staging")
    slow, errors = found["SlowAlarm"]["Properties"], found["ErrorsAlarm"]["Properties"]
    assert (slow["Threshold"], slow["EvaluationPeriods"]) == (0.5, 5)
    assert (errors["Threshold"], errors["DatapointsToAlarm"], errors["EvaluationPeriods"]) == (
        2.0, 3, 5
    )  # fmt: skip
    pattern = found["TracebacksWebLogFilter"]["Properties"]["FilterPattern"]
    assert pattern == '?"Traceback" ?"CRITICAL"'


def test_the_built_in_alarms_stay() -> None:
    found = resources(manifest("full"))
    assert {"ServerErrors", "SlowResponses", "WebCpuHigh", "DatabaseStorageLow"} <= set(found)


def test_without_alerts_nothing_is_added() -> None:
    found = resources(with_alerts("full"))
    assert not [key for key in found if key.endswith(("Alarm", "LogFilter"))]


@pytest.mark.parametrize("name", VARIANTS)
def test_the_variants_with_alerts_fit_what_cloudformation_reads(name: str) -> None:
    # 51,200 bytes inline, 1 MB through the template bucket; alarms are about 600 bytes each
    assert len(to_json(synth_shared(manifest(name)), compact=True)) <= MAX_TEMPLATE_BODY
    for env in ENVS:
        assert len(to_json(synth_env(manifest(name), env), compact=True)) <= MAX_TEMPLATE_URL_BODY


def test_a_hundred_alerts_fit_through_the_template_bucket() -> None:
    many = tuple(
        MetricAlert(f"slow-{i}", AlertMetric.P95_MS, 500 + i, for_s=300, service="web")
        for i in range(100)
    )
    size = len(to_json(synth_env(with_alerts("full", *many), "production"), compact=True))
    assert MAX_TEMPLATE_BODY < size <= MAX_TEMPLATE_URL_BODY
