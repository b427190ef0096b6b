"""Target tracking (Application Auto Scaling) from a service's `autoscale`: the service's desired
count between `min` and `max`, and one policy per target.

- cpu -> ECSServiceAverageCPUUtilization, in percent as written;
- requests_per_instance -> ALBRequestCountPerTarget, which counts a minute: the manifest's
  per-second figure times 60;
- p95_ms -> the p95 of the service's target group TargetResponseTime, in seconds. A percentile
  needs the customized metric's `Metrics` form (MetricStat.Stat takes extended statistics such
  as "p95"); its older `Statistic` field takes only Average, Minimum, Maximum, SampleCount, Sum.

With several policies, Application Auto Scaling scales out when any asks and in only when all
do: the largest count wins, as the manifest says of several targets.

`max_step` is not synthesized: target tracking sizes each step itself and has no limit on it
(only step scaling policies have steps).

A service a canary covers has two target groups, which take turns serving (canary.py), so its
request and p95 policies read both through metric math: requests per target added (while both
serve, each has the service's full count of tasks, so the sum is the service's figure), the
larger p95. The group not serving publishes nothing, hence the FILLs.
"""

from __future__ import annotations

from typing import Any, assert_never

from troposphere import GetAtt, Join, Ref, Template
from troposphere import applicationautoscaling as aas

from launchdeck.domain import ServiceSpec
from launchdeck.domain.autoscale import Autoscale, ScaleMetric, Target
from launchdeck.drivers.aws.names import cluster_name, title
from launchdeck.drivers.aws.synth.compute import Compute, autoscaled
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.edge import Edge

ALB_METRICS = "AWS/ApplicationELB"


def autoscaling(t: Template, env: Env, compute_: Compute, edge_: Edge | None) -> None:
    for spec in env.services:
        if autoscaled(spec):
            _service_scaling(t, env, spec, compute_, edge_)


def _service_scaling(
    t: Template, env: Env, spec: ServiceSpec, compute_: Compute, edge_: Edge | None
) -> None:
    autoscale, name = spec.autoscale, title(spec.name)
    assert autoscale is not None
    target = t.add_resource(
        aas.ScalableTarget(
            f"{name}Scaling",
            ServiceNamespace="ecs",
            ScalableDimension="ecs:service:DesiredCount",
            ResourceId=Join(
                "/",
                [
                    "service",
                    cluster_name(env.app, env.name),
                    GetAtt(compute_.services[spec.name], "Name"),
                ],
            ),
            MinCapacity=autoscale.min,
            MaxCapacity=autoscale.max,
        )
    )
    for goal in autoscale.targets:
        kind, value, metric = _tracked(goal, spec, edge_)
        _policy(t, f"{name}{kind}Scaling", target, autoscale, value, metric)


def _tracked(
    goal: Target, spec: ServiceSpec, edge_: Edge | None
) -> tuple[str, float, dict[str, Any]]:
    """(the policy's title part, its TargetValue, its metric specification as a keyword)."""
    match goal.metric:
        case ScaleMetric.CPU:
            cpu = aas.PredefinedMetricSpecification(
                PredefinedMetricType="ECSServiceAverageCPUUtilization"
            )
            return "Cpu", goal.value, {"PredefinedMetricSpecification": cpu}
        case ScaleMetric.REQUESTS_PER_INSTANCE if _paired(edge_, spec):
            requests_ = _both(
                edge_, spec, "RequestCountPerTarget", "Sum", "FILL(a, 0) + FILL(b, 0)"
            )
            return "Request", goal.value * 60, {"CustomizedMetricSpecification": requests_}
        case ScaleMetric.REQUESTS_PER_INSTANCE:
            requests = aas.PredefinedMetricSpecification(
                PredefinedMetricType="ALBRequestCountPerTarget",
                ResourceLabel=Join("/", list(_alb_dimensions(edge_, spec))),
            )
            return "Request", goal.value * 60, {"PredefinedMetricSpecification": requests}
        case ScaleMetric.P95_MS if _paired(edge_, spec):
            larger = "IF(FILL(a, 0) > FILL(b, 0), FILL(a, 0), FILL(b, 0))"
            p95 = _both(edge_, spec, "TargetResponseTime", "p95", larger)
            return "P95", round(goal.value / 1000, 9), {"CustomizedMetricSpecification": p95}
        case ScaleMetric.P95_MS:
            p95 = _p95(edge_, spec)
            return "P95", round(goal.value / 1000, 9), {"CustomizedMetricSpecification": p95}
        case ScaleMetric.QUEUE_DEPTH:  # validate.py refuses it: one host only
            raise AssertionError("queue_depth has no target tracking metric on AWS")
        case _:
            assert_never(goal.metric)


def _alb_dimensions(edge_: Edge | None, spec: ServiceSpec) -> tuple[Any, Any]:
    """(LoadBalancer, TargetGroup): the full names the ALB's metrics of the service carry."""
    # The manifest refuses requests_per_instance and p95_ms on a service without a port, and a
    # service with one always has the load balancer.
    assert edge_ is not None and spec.routed
    return (
        GetAtt(edge_.alb, "LoadBalancerFullName"),
        GetAtt(edge_.targets[spec.name], "TargetGroupFullName"),
    )


def _p95(edge_: Edge | None, spec: ServiceSpec) -> aas.CustomizedMetricSpecification:
    balancer, group = _alb_dimensions(edge_, spec)
    return aas.CustomizedMetricSpecification(
        Metrics=[_query("p95", balancer, group, "TargetResponseTime", "p95", returned=True)]
    )


def _paired(edge_: Edge | None, spec: ServiceSpec) -> bool:
    return edge_ is not None and spec.name in edge_.alternates


def _both(
    edge_: Edge | None, spec: ServiceSpec, metric: str, stat: str, expression: str
) -> aas.CustomizedMetricSpecification:
    """`expression` over `metric` of the service's two target groups, `a` and `b`."""
    assert edge_ is not None
    balancer = GetAtt(edge_.alb, "LoadBalancerFullName")
    groups = [GetAtt(group, "TargetGroupFullName") for group in edge_.groups(spec.name)]
    return aas.CustomizedMetricSpecification(
        Metrics=[
            *(
                _query(id_, balancer, group, metric, stat, returned=False)
                for id_, group in zip("ab", groups, strict=True)
            ),
            aas.TargetTrackingMetricDataQuery(Id="both", Expression=expression, ReturnData=True),
        ]
    )


def _query(id_: str, balancer: Any, group: Any, metric: str, stat: str, *, returned: bool) -> Any:
    measured = aas.TargetTrackingMetric(
        Namespace=ALB_METRICS,
        MetricName=metric,  # TargetResponseTime is in seconds
        Dimensions=[
            aas.TargetTrackingMetricDimension(Name="LoadBalancer", Value=balancer),
            aas.TargetTrackingMetricDimension(Name="TargetGroup", Value=group),
        ],
    )
    return aas.TargetTrackingMetricDataQuery(
        Id=id_,
        MetricStat=aas.TargetTrackingMetricStat(Metric=measured, Stat=stat),
        ReturnData=returned,
    )


def _policy(
    t: Template,
    title_: str,
    target: Any,
    autoscale: Autoscale,
    value: float,
    metric: dict[str, Any],
) -> None:
    t.add_resource(
        aas.ScalingPolicy(
            title_,
            PolicyName=title_,
            PolicyType="TargetTrackingScaling",
            ScalingTargetId=Ref(target),
            TargetTrackingScalingPolicyConfiguration=aas.TargetTrackingScalingPolicyConfiguration(
                TargetValue=float(value),
                ScaleOutCooldown=int(autoscale.scale_out_cooldown),
                # Target tracking has no stabilization window; a cooldown after each scale-in
                # is the nearest thing: no second scale-in before it has passed.
                ScaleInCooldown=int(autoscale.scale_in_stabilization),
                **metric,
            ),
        )
    )
