"""The manifest's `[[alerts]]` as CloudWatch alarms on the stack's alert topic (docs/aws.md).

Metric alerts watch one figure a minute: response time percentiles (ALB TargetResponseTime, in
seconds), the 5xx rate (metric math, in percent) and requests per second, of one service's target
group (both, for a service a canary covers: they take turns serving) or of the whole load
balancer; CPU and memory of one service, or of each. `for` becomes
that many minutes all breaching, `datapoints = "M of N"` M of N minutes. Log alerts become a
metric filter on the log group of the service named (or of each) counting into one metric, and
an alarm on its sum over `within`. Every alarm posts to the topic when it fires and when it
clears.
"""

from __future__ import annotations

import math
from typing import Any, assert_never

from troposphere import GetAtt, Ref, Template, cloudwatch, logs

from launchdeck.domain.alerts import AlertMetric, AlertRule, LogAlert, MetricAlert
from launchdeck.drivers.aws.names import cluster_name, title
from launchdeck.drivers.aws.synth.alerting.log_filters import filter_pattern
from launchdeck.drivers.aws.synth.compute import Compute
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.edge import Edge
from launchdeck.manifest.values.units import format_duration

PERIOD = 60  # seconds: ALB and ECS metrics come a minute at a time
MAX_WINDOW = 86400  # CloudWatch evaluates an alarm over a day at most
PERCENTILES = {AlertMetric.P50_MS: "p50", AlertMetric.P95_MS: "p95", AlertMetric.P99_MS: "p99"}
_ECS = {AlertMetric.CPU: "CPUUtilization", AlertMetric.MEMORY: "MemoryUtilization"}
_WORDS = {
    AlertMetric.P50_MS: "median response time",
    AlertMetric.P95_MS: "p95 response time",
    AlertMetric.P99_MS: "p99 response time",
    AlertMetric.ERROR_RATE: "5xx rate",
    AlertMetric.REQUESTS_PER_S: "requests per second",
    AlertMetric.CPU: "CPU",
    AlertMetric.MEMORY: "memory",
}


def targets(rule: AlertRule, services: list[str]) -> list[str | None]:
    """What each of the rule's alarms watches: a service, or (None) the load balancer or the
    environment's logs. CPU and memory without `service` get one alarm per service."""
    if isinstance(rule, MetricAlert) and rule.metric in _ECS and rule.service is None:
        return list(services)
    return [rule.service]


def alarm_id(rule: AlertRule, target: str | None) -> str:
    """`<Name>Alarm`; each alarm of a rule fanned out over the services: `<Name><Service>Alarm`."""
    return f"{title(rule.name)}{title(_fanned(rule, target))}Alarm"


def filter_id(rule: LogAlert, service: str) -> str:
    return f"{title(rule.name)}{title(_fanned(rule, service))}LogFilter"


def _fanned(rule: AlertRule, target: str | None) -> str:
    """The service a rule without `service` gives one of its resources to, else ''."""
    return target if target is not None and rule.service is None else ""


def logical_ids(rule: AlertRule, services: list[str]) -> list[str]:
    """Every logical id the rule adds to the stack."""
    ids = [alarm_id(rule, target) for target in targets(rule, services)]
    if isinstance(rule, LogAlert):
        ids += [filter_id(rule, service) for service in log_services(rule, services)]
    return ids


def log_services(rule: LogAlert, services: list[str]) -> list[str]:
    return [rule.service] if rule.service is not None else list(services)


def evaluation(rule: MetricAlert) -> tuple[int, int]:
    """(DatapointsToAlarm, EvaluationPeriods): M of N minutes, or every minute of `for`."""
    if rule.datapoints is not None:
        return rule.datapoints
    minutes = max(1, math.ceil(rule.for_s / PERIOD))
    return minutes, minutes


def log_period(rule: LogAlert) -> int:
    """`within` rounded up to whole minutes, the periods CloudWatch takes for a log metric."""
    return max(1, math.ceil(rule.within_s / PERIOD)) * PERIOD


def log_namespace(env: Env) -> str:
    return f"launchdeck/{env.app}/{env.name}"


def dimensions(dims: dict[str, Any]) -> list[Any]:
    return [cloudwatch.MetricDimension(Name=k, Value=v) for k, v in dims.items()]


def stat_query(id_: str, namespace: str, metric: str, dims: dict[str, Any], stat: str) -> Any:
    """A metric of an alarm's metric math, not returned itself."""
    return cloudwatch.MetricDataQuery(
        Id=id_,
        ReturnData=False,
        MetricStat=cloudwatch.MetricStat(
            Metric=cloudwatch.Metric(
                Namespace=namespace, MetricName=metric, Dimensions=dimensions(dims)
            ),
            Period=PERIOD,
            Stat=stat,
        ),
    )


def rule_alarms(t: Template, env: Env, topic: Any, edge_: Edge | None, compute_: Compute) -> None:
    """The environment's alerts (top-level, with `[environments.<env>]`'s applied)."""
    alarms = _RuleAlarms(t, env, topic, edge_, compute_)
    for rule in env.manifest.alerts:
        match rule:
            case MetricAlert():
                for target in targets(rule, alarms.services):
                    alarms.metric(rule, target)
            case LogAlert():
                alarms.log(rule)
            case _:
                assert_never(rule)


class _RuleAlarms:
    def __init__(
        self, t: Template, env: Env, topic: Any, edge_: Edge | None, compute_: Compute
    ) -> None:
        self.t, self.env, self.topic, self.edge, self.compute = t, env, topic, edge_, compute_
        self.services = [spec.name for spec in env.services]

    def metric(self, rule: MetricAlert, target: str | None) -> None:
        datapoints, periods = evaluation(rule)
        if rule.metric in _ECS:
            assert target is not None
            props = self._ecs(rule.metric, target)
        else:
            props = self._load_balancer(rule.metric, target)
        # No requests means no RequestCount at all: a traffic floor is breached by silence.
        silent = rule.metric is AlertMetric.REQUESTS_PER_S and not rule.above
        self._alarm(
            alarm_id(rule, target),
            _alarm_name(self.env, rule, target),
            _describe(rule, target, datapoints, periods),
            Threshold=_threshold(rule),
            ComparisonOperator="GreaterThanThreshold" if rule.above else "LessThanThreshold",
            DatapointsToAlarm=datapoints,
            EvaluationPeriods=periods,
            TreatMissingData="breaching" if silent else "notBreaching",
            **props,
        )

    def log(self, rule: LogAlert) -> None:
        pattern = filter_pattern(rule.pattern).text
        namespace = log_namespace(self.env)
        for service in log_services(rule, self.services):
            self.t.add_resource(
                logs.MetricFilter(
                    filter_id(rule, service),
                    LogGroupName=Ref(self.compute.log_groups[service]),
                    FilterPattern=pattern,
                    MetricTransformations=[
                        logs.MetricTransformation(
                            MetricNamespace=namespace,
                            MetricName=rule.name,
                            MetricValue="1",
                            DefaultValue=0,
                            Unit="Count",
                        )
                    ],
                )
            )
        where = f"{rule.service}'s" if rule.service else "the environment's"
        self._alarm(
            alarm_id(rule, None),
            _alarm_name(self.env, rule, None),
            f"{rule.name}: {rule.count} or more lines of {where} logs matched {rule.pattern!r} "
            f"within {format_duration(log_period(rule))}",
            Namespace=namespace,
            MetricName=rule.name,
            Statistic="Sum",
            Period=log_period(rule),
            Threshold=rule.count,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            DatapointsToAlarm=1,
            EvaluationPeriods=1,
            TreatMissingData="notBreaching",
        )

    def _alarm(self, logical_id: str, name: str, description: str, **props: Any) -> None:
        self.t.add_resource(
            cloudwatch.Alarm(
                logical_id,
                AlarmName=name,
                AlarmDescription=description,
                AlarmActions=[Ref(self.topic)],
                OKActions=[Ref(self.topic)],  # so the resolution posts too
                **props,
            )
        )

    def _ecs(self, metric: AlertMetric, service: str) -> dict[str, Any]:
        dims = {
            "ClusterName": cluster_name(self.env.app, self.env.name),
            "ServiceName": GetAtt(self.compute.services[service], "Name"),
        }
        return {
            "Namespace": "AWS/ECS",
            "MetricName": _ECS[metric],
            "Dimensions": dimensions(dims),
            "Statistic": "Average",
            "Period": PERIOD,
        }

    def _load_balancer(self, metric: AlertMetric, service: str | None) -> dict[str, Any]:
        assert self.edge is not None  # validate() refuses request alerts without one
        dims = {"LoadBalancer": GetAtt(self.edge.alb, "LoadBalancerFullName")}
        if service is not None and service in self.edge.alternates:
            return {"Metrics": _paired_math(metric, dims, self.edge.groups(service))}
        if service is not None:
            dims["TargetGroup"] = GetAtt(self.edge.targets[service], "TargetGroupFullName")
        if metric in PERCENTILES:
            return {
                "Namespace": "AWS/ApplicationELB",
                "MetricName": "TargetResponseTime",
                "Dimensions": dimensions(dims),
                "ExtendedStatistic": PERCENTILES[metric],
                "Period": PERIOD,
            }
        return {"Metrics": _request_math(metric, dims, whole=service is None)}


def _request_math(metric: AlertMetric, dims: dict[str, Any], *, whole: bool) -> list[Any]:
    """Metric math in the manifest's unit: 5xx per 100 requests, or requests per second.

    The load balancer's own 5xx (no healthy target, a timeout) count for the whole load
    balancer; CloudWatch has them only per load balancer, not per target group."""

    def count(id_: str, name: str) -> Any:
        return stat_query(id_, "AWS/ApplicationELB", name, dims, "Sum")

    requests = count("requests", "RequestCount")
    if metric is AlertMetric.REQUESTS_PER_S:
        rate = cloudwatch.MetricDataQuery(
            Id="rate",
            Label="requests per second",
            Expression=f"requests / {PERIOD}",
            ReturnData=True,
        )
        return [requests, rate]
    errors = [count("target", "HTTPCode_Target_5XX_Count")]
    expression = "100 * FILL(target, 0) / requests"
    if whole:
        errors.append(count("elb", "HTTPCode_ELB_5XX_Count"))
        expression = "100 * (FILL(target, 0) + FILL(elb, 0)) / requests"
    rate = cloudwatch.MetricDataQuery(
        Id="rate", Label="5xx per 100 requests", Expression=expression, ReturnData=True
    )
    return [*errors, requests, rate]


def _paired_math(metric: AlertMetric, lb: dict[str, Any], groups: list[Any]) -> list[Any]:
    """The figure over a canary service's two target groups, `a` and `b`: the larger
    percentile, or the counts added. The group not serving publishes nothing, hence the FILLs:
    with no requests at all the figure is 0 rather than missing."""
    dims = [{**lb, "TargetGroup": GetAtt(group, "TargetGroupFullName")} for group in groups]

    def both(id_: str, name: str, stat: str) -> list[Any]:
        return [
            stat_query(f"{id_}_{side}", "AWS/ApplicationELB", name, dims_, stat)
            for side, dims_ in zip("ab", dims, strict=True)
        ]

    def added(id_: str) -> str:
        return f"(FILL({id_}_a, 0) + FILL({id_}_b, 0))"

    if metric in PERCENTILES:
        queries = both("time", "TargetResponseTime", PERCENTILES[metric])
        expression = "IF(FILL(time_a, 0) > FILL(time_b, 0), FILL(time_a, 0), FILL(time_b, 0))"
        label = f"{PERCENTILES[metric]} response time"
    elif metric is AlertMetric.REQUESTS_PER_S:
        queries = both("requests", "RequestCount", "Sum")
        expression, label = f"{added('requests')} / {PERIOD}", "requests per second"
    else:
        queries = [*both("target", "HTTPCode_Target_5XX_Count", "Sum"),
                   *both("requests", "RequestCount", "Sum")]  # fmt: skip
        rate = f"100 * {added('target')} / {added('requests')}"
        expression = f"IF({added('requests')} > 0, {rate}, 0)"
        label = "5xx per 100 requests"
    value = cloudwatch.MetricDataQuery(
        Id="value", Label=label, Expression=expression, ReturnData=True
    )
    return [*queries, value]


def _threshold(rule: MetricAlert) -> float:
    """The threshold in the CloudWatch metric's unit."""
    if rule.metric in PERCENTILES:
        return round(rule.threshold / 1000, 9)  # TargetResponseTime is in seconds
    if rule.metric.percent:
        return round(rule.threshold * 100, 9)  # ECS utilization and the 5xx math: percent
    return rule.threshold


def _alarm_name(env: Env, rule: AlertRule, target: str | None) -> str:
    """`<stack>-<alert>`, and `-<service>` for each alarm of a rule fanned out."""
    fanned = _fanned(rule, target)
    return f"{env.stack}-{rule.name}" + (f"-{fanned}" if fanned else "")


def _describe(rule: MetricAlert, target: str | None, datapoints: int, periods: int) -> str:
    """What Slack shows under the alarm's name, in the manifest's words and units."""
    if rule.metric.percent:
        shown = f"{round(rule.threshold * 100, 9):g}%"
    elif rule.metric in PERCENTILES:
        shown = f"{rule.threshold:g} ms"
    else:
        shown = f"{rule.threshold:g}/s"
    of = target or "the load balancer"  # CPU and memory always name their service
    if rule.datapoints is not None:
        window = f"in {datapoints} of {periods} minutes"
    else:
        window = f"for {format_duration(periods * PERIOD)}"
    side = "above" if rule.above else "below"
    return f"{rule.name}: {_WORDS[rule.metric]} of {of} {side} {shown} {window}"
