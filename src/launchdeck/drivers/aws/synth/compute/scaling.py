"""Target-tracking autoscaling from the manifest's `scale`: cpu -> average CPU per service,
requests_per_instance -> ALB requests per target (per minute, so the manifest's per-second
figure times 60)."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Join, Ref, Template
from troposphere import applicationautoscaling as aas

from launchdeck.domain import ServiceSpec
from launchdeck.drivers.aws.names import cluster_name, title
from launchdeck.drivers.aws.synth.compute import Compute, autoscaled
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.edge import Edge

COOLDOWN_OUT, COOLDOWN_IN = 60, 300


def autoscaling(t: Template, env: Env, compute_: Compute, edge_: Edge | None) -> None:
    for spec in env.services:
        if autoscaled(spec):
            _service_scaling(t, env, spec, compute_, edge_)


def _service_scaling(
    t: Template, env: Env, spec: ServiceSpec, compute_: Compute, edge_: Edge | None
) -> None:
    scale, name = spec.scale, title(spec.name)
    low = scale.min if scale.min is not None else scale.count
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
            MinCapacity=low,
            MaxCapacity=max(low, scale.max or low),
        )
    )
    if scale.cpu:
        _policy(t, f"{name}CpuScaling", target, scale.cpu, "ECSServiceAverageCPUUtilization")
    if scale.requests_per_instance and spec.routed and edge_ is not None:
        label = Join(
            "/",
            [
                GetAtt(edge_.alb, "LoadBalancerFullName"),
                GetAtt(edge_.targets[spec.name], "TargetGroupFullName"),
            ],
        )
        _policy(
            t,
            f"{name}RequestScaling",
            target,
            scale.requests_per_instance * 60,
            "ALBRequestCountPerTarget",
            label,
        )


def _policy(
    t: Template, title_: str, target: Any, value: int, metric: str, label: Any = None
) -> None:
    spec: dict[str, Any] = {"PredefinedMetricType": metric}
    if label is not None:
        spec["ResourceLabel"] = label
    t.add_resource(
        aas.ScalingPolicy(
            title_,
            PolicyName=title_,
            PolicyType="TargetTrackingScaling",
            ScalingTargetId=Ref(target),
            TargetTrackingScalingPolicyConfiguration=aas.TargetTrackingScalingPolicyConfiguration(
                TargetValue=float(value),
                ScaleOutCooldown=COOLDOWN_OUT,
                ScaleInCooldown=COOLDOWN_IN,
                PredefinedMetricSpecification=aas.PredefinedMetricSpecification(**spec),
            ),
        )
    )
