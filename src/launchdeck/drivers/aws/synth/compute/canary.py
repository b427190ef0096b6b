"""`[deploy] strategy = "canary"` on AWS: ECS's own traffic-shifting deployments, gated by
deployment alarms that roll back.

What ECS offers (`DeploymentConfiguration.Strategy` of a service under the ECS controller, behind
an ALB): CANARY shifts `CanaryPercent` of the traffic to the new revision, waits
`CanaryBakeTimeInMinutes`, then shifts the rest; LINEAR shifts `StepPercent` more every
`StepBakeTimeInMinutes`; BLUE_GREEN shifts everything at once. After the last shift ECS keeps the
old revision for `BakeTimeInMinutes`, and a deployment alarm (`Alarms`) going off before the end
puts every request back on it. Each needs a second target group and the listener rule whose
weights ECS moves (edge/), and a role that lets ECS move them (`traffic_role`).

`steps` and `pause` become (minutes rounded up: ECS takes whole minutes):
- `[p, 100]`: CANARY at p%, held `pause`;
- `[s, 2s, ..., 100]` with s at least 3 (ECS's smallest step): LINEAR by s%, each held `pause`;
- `[100]`: BLUE_GREEN (there is no step below 100% to hold);
- anything else, the default `[10, 50, 100]` included, has no ECS equivalent; the nearest is
  CANARY at the first step, held as long as all the steps below 100% together: the first
  exposure and the time before all traffic moves stay as written, the steps between are skipped.
`BakeTimeInMinutes` is one more `pause` after the last shift.

The analysis becomes alarms on the service's two target groups, minute by minute, a minute
counting only for a group that answered at least `min_requests` requests in it; 2 breaching
minutes of 3 set one off:
- 5xx: either group's 5xx share above `max_error_rate_increase`. An alarm cannot name the
  canary's group (the two swap at every deployment), so this is a ceiling on each release's own
  rate rather than an increase over the stable one's: a service whose serving release already
  fails more often than that has every canary rolled back.
- p95, CANARY only: below (above) 50% the canary is the group with fewer (more) requests; the
  alarm goes off when its p95 is more than 1 + `max_latency_increase` times the other's. LINEAR and
  BLUE_GREEN get none: the group with fewer requests is the new release before half-way and the
  old one after, so a faster new release would read as a slower old one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

from troposphere import GetAtt, Ref, Template, cloudwatch, ecs

from launchdeck.domain import ServiceSpec
from launchdeck.domain.canary import DeploySpec
from launchdeck.drivers.aws.names import title
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.edge import Edge
from launchdeck.drivers.aws.synth.iam import role, statement
from launchdeck.drivers.aws.synth.naming import CONTAINER_PORT

MIN_LINEAR_STEP = 3  # percent: ECS's smallest StepPercent
MAX_BAKE = 1440  # minutes: the longest any of ECS's bake times may be
MAX_DEPLOYMENT = 33 * 60  # minutes: CloudFormation refuses a canary it computes to last longer
ALB_METRICS = "AWS/ApplicationELB"
PERIOD = 60
EVALUATION = (2, 3)  # (DatapointsToAlarm, EvaluationPeriods): 2 bad minutes of 3
SIDES = ("a", "b")  # the metric ids' suffixes for the service's two target groups


def minutes(seconds: float) -> int:
    return math.ceil(seconds / 60)


@dataclass(frozen=True)
class Rollout:
    """What ECS is told of a canary."""

    strategy: Literal["CANARY", "LINEAR", "BLUE_GREEN"]
    percent: int | None  # CanaryPercent or StepPercent
    hold: int  # CanaryBakeTimeInMinutes or StepBakeTimeInMinutes
    bake: int  # BakeTimeInMinutes
    exact: bool  # False: ECS cannot take these steps, the nearest was taken

    @property
    def total(self) -> int:
        """Minutes, as CloudFormation counts them against its limit: the bake, plus each hold
        (ECS holds nothing after the last shift)."""
        match self.strategy:
            case "CANARY":
                return self.bake + self.hold
            case "LINEAR":
                assert self.percent is not None
                return self.bake + self.hold * (math.ceil(100 / self.percent) - 1)
        return self.bake

    @property
    def canary_has_fewer(self) -> bool | None:
        """Whether the canary's target group is the one with fewer requests, when that tells it
        from the other: CANARY below or above 50%."""
        if self.strategy != "CANARY" or self.percent is None or self.percent == 50:
            return None
        return self.percent < 50


def rollout(deploy: DeploySpec) -> Rollout:
    steps, hold = deploy.steps, minutes(deploy.pause)
    if steps == (100,):
        return Rollout("BLUE_GREEN", None, 0, hold, exact=True)
    first = steps[0]
    if len(steps) == 2:
        return Rollout("CANARY", first, hold, hold, exact=True)
    if first >= MIN_LINEAR_STEP and steps == tuple(range(first, 101, first)):
        return Rollout("LINEAR", first, hold, hold, exact=True)
    return Rollout("CANARY", first, minutes(deploy.pause * (len(steps) - 1)), hold, exact=False)


def longest_pause(deploy: DeploySpec) -> int:
    """The longest `pause`, in whole minutes, ECS (a day per bake) and CloudFormation (33 hours
    in all) take with these steps: every bake grows in step with it."""
    per_minute = rollout(replace(deploy, pause=60))
    return min(MAX_BAKE // max(per_minute.hold, 1), MAX_DEPLOYMENT // per_minute.total)


def traffic_role(t: Template, env: Env, edge_: Edge) -> Any:
    """The role ECS assumes to register tasks in either target group and move the weights."""
    groups = [Ref(group) for spec in env.canary for group in edge_.groups(spec.name)]
    rules = [Ref(edge_.production_rules[spec.name]) for spec in env.canary]
    describe = [
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
    ]
    registration = [
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:DeregisterTargets",
    ]
    statements = [
        statement(describe, "*"),  # Describe* take no resource-level permissions
        statement(registration, groups),
        statement("elasticloadbalancing:ModifyRule", rules),
    ]
    return role(t, "TrafficShiftRole", env.app, "ecs.amazonaws.com", statements)


def service_props(
    spec: ServiceSpec, edge_: Edge, shift_role: Any, plan: Rollout, alarms: list[Any]
) -> dict[str, Any]:
    """The ECS service's DeploymentConfiguration and LoadBalancers for a canary."""
    config: dict[str, Any] = {
        "Strategy": plan.strategy,
        "BakeTimeInMinutes": plan.bake,
        "Alarms": ecs.DeploymentAlarms(
            AlarmNames=[Ref(alarm) for alarm in alarms], Enable=True, Rollback=True
        ),
    }
    if plan.strategy == "CANARY":
        config["CanaryConfiguration"] = ecs.CanaryConfiguration(
            CanaryPercent=float(plan.percent or 0), CanaryBakeTimeInMinutes=plan.hold
        )
    elif plan.strategy == "LINEAR":
        config["LinearConfiguration"] = ecs.LinearConfiguration(
            StepPercent=float(plan.percent or 0), StepBakeTimeInMinutes=plan.hold
        )
    balancer = ecs.LoadBalancer(
        ContainerName=spec.name,
        ContainerPort=CONTAINER_PORT,
        TargetGroupArn=Ref(edge_.targets[spec.name]),
        AdvancedConfiguration=ecs.AdvancedConfiguration(
            AlternateTargetGroupArn=Ref(edge_.alternates[spec.name]),
            ProductionListenerRule=Ref(edge_.production_rules[spec.name]),
            RoleArn=GetAtt(shift_role, "Arn"),
        ),
    )
    return {
        "DeploymentConfiguration": ecs.DeploymentConfiguration(**config),
        "LoadBalancers": [balancer],
    }


def deployment_alarms(
    t: Template, env: Env, spec: ServiceSpec, edge_: Edge, plan: Rollout
) -> list[Any]:
    """The alarms ECS watches through the service's canary (see the module's docstring)."""
    deploy, name = env.manifest.deploy, title(spec.name)
    queries = _Queries(edge_, spec.name)
    floor = deploy.min_requests
    share = round(deploy.max_error_rate_increase * 100, 9)
    errors = _alarm(
        t,
        f"{name}CanaryErrors",
        f"{env.stack}-{spec.name}-canary-5xx",
        f"{spec.name} canary: 5xx above {share:g}% of the requests of either release "
        f"(of {floor} or more a minute); ECS rolls the deployment back",
        [
            *queries.of_both("requests", "RequestCount"),
            *queries.of_both("errors", "HTTPCode_Target_5XX_Count"),
            *queries.error_rates(floor),
            queries.worst_error_rate(),
        ],
        share,
    )
    alarms = [errors]
    if plan.canary_has_fewer is not None:
        ratio = round(1 + deploy.max_latency_increase, 9)
        alarms.append(
            _alarm(
                t,
                f"{name}CanaryLatency",
                f"{env.stack}-{spec.name}-canary-p95",
                f"{spec.name} canary: p95 above {ratio:g} times the serving release's "
                f"(each with {floor} or more requests a minute); ECS rolls the deployment back",
                [
                    *queries.of_both("requests", "RequestCount"),
                    *queries.of_both("p95", "TargetResponseTime", "p95"),
                    queries.latency_ratio(floor, plan),
                ],
                ratio,
            )
        )
    return alarms


def _alarm(
    t: Template, logical_id: str, name: str, description: str, metrics: list[Any], threshold: float
) -> Any:
    datapoints, periods = EVALUATION
    return t.add_resource(
        cloudwatch.Alarm(
            logical_id,
            AlarmName=name,
            AlarmDescription=description,
            Metrics=metrics,
            Threshold=threshold,
            ComparisonOperator="GreaterThanThreshold",
            DatapointsToAlarm=datapoints,
            EvaluationPeriods=periods,
            TreatMissingData="notBreaching",
        )
    )


class _Queries:
    """The metric math of the alarms: `requests_a`, `errors_b`, ... of the two groups. Every
    figure is FILLed, since the group not serving publishes nothing at all."""

    def __init__(self, edge_: Edge, service: str) -> None:
        balancer = GetAtt(edge_.alb, "LoadBalancerFullName")
        self.dims = {
            side: {"LoadBalancer": balancer, "TargetGroup": GetAtt(group, "TargetGroupFullName")}
            for side, group in zip(SIDES, edge_.groups(service), strict=True)
        }

    def of_both(self, id_: str, metric: str, stat: str = "Sum") -> list[Any]:
        return [stat_query(f"{id_}_{side}", metric, self.dims[side], stat) for side in SIDES]

    def error_rates(self, floor: int) -> list[Any]:
        # A present RequestCount is never 0, so FILL(requests, 1) only keeps 0 out of a division
        return [
            _expression(
                f"rate_{side}",
                f"IF(FILL(requests_{side}, 0) >= {floor}, "
                f"100 * FILL(errors_{side}, 0) / FILL(requests_{side}, 1), 0)",
            )
            for side in SIDES
        ]

    def worst_error_rate(self) -> Any:
        return _expression("worst", "IF(rate_a > rate_b, rate_a, rate_b)", "5xx per 100 requests")

    def latency_ratio(self, floor: int, plan: Rollout) -> Any:
        canary_is_a = "<" if plan.canary_has_fewer else ">"
        both = f"FILL(requests_a, 0) >= {floor} AND FILL(requests_b, 0) >= {floor}"
        a_to_b = "FILL(p95_a, 1) / FILL(p95_b, 1)"
        b_to_a = "FILL(p95_b, 1) / FILL(p95_a, 1)"
        pick = f"IF(FILL(requests_a, 0) {canary_is_a} FILL(requests_b, 0), {a_to_b}, {b_to_a})"
        return _expression("ratio", f"IF({both}, {pick}, 0)", "canary p95 / serving p95")


def _expression(id_: str, expression: str, label: str | None = None) -> Any:
    props: dict[str, Any] = {"Label": label} if label else {}
    return cloudwatch.MetricDataQuery(
        Id=id_, Expression=expression, ReturnData=label is not None, **props
    )


def stat_query(id_: str, metric: str, dims: dict[str, Any], stat: str) -> Any:
    """An ALB metric of the alarms' metric math, not returned itself."""
    return cloudwatch.MetricDataQuery(
        Id=id_,
        ReturnData=False,
        MetricStat=cloudwatch.MetricStat(
            Metric=cloudwatch.Metric(
                Namespace=ALB_METRICS,
                MetricName=metric,
                Dimensions=[cloudwatch.MetricDimension(Name=k, Value=v) for k, v in dims.items()],
            ),
            Period=PERIOD,
            Stat=stat,
        ),
    )
