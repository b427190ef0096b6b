"""`[deploy] strategy = "canary"` on AWS: ECS's own canary and linear deployments, their second
target groups and rules, the deployment alarms that roll back, and what stays as it was."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from launchdeck.domain import Manifest
from launchdeck.domain.canary import DeploySpec, Strategy
from launchdeck.drivers.aws.synth import synth_env, synth_shared, validate
from launchdeck.drivers.aws.synth.compute.canary import Rollout, rollout
from launchdeck.manifest import parse_manifest
from tests.unit.aws_synth.variants import manifest

CANARY = DeploySpec(Strategy.CANARY)
WEB = 'app = "a"\n[services.web]\ncommand = "serve"\nport = true\n'


def resources(m: Manifest, env: str = "staging") -> dict[str, Any]:
    found: dict[str, Any] = synth_env(m, env).to_dict()["Resources"]
    return found


def props(m: Manifest, logical_id: str, env: str = "staging") -> dict[str, Any]:
    found: dict[str, Any] = resources(m, env)[logical_id]["Properties"]
    return found


def with_deploy(name: str, deploy: DeploySpec) -> Manifest:
    """The variant deploying as `deploy` in every environment."""
    found = manifest(name)
    environments = {env: replace(o, deploy=None) for env, o in found.environments.items()}
    return replace(found, deploy=deploy, environments=environments)


def group_dims(alarm: dict[str, Any]) -> list[Any]:
    return [
        dim["Value"]
        for query in alarm["Metrics"]
        if "MetricStat" in query
        for dim in query["MetricStat"]["Metric"]["Dimensions"]
        if dim["Name"] == "TargetGroup"
    ]


def expression(alarm: dict[str, Any], id_: str) -> str:
    found: str = next(q["Expression"] for q in alarm["Metrics"] if q["Id"] == id_)
    return found


WEB_GROUPS = [{"Fn::GetAtt": [group, "TargetGroupFullName"]}
              for group in ("WebTargets", "WebTargetsAlternate")]  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "pause", "expected"),
    [
        ((10, 100), 300, Rollout("CANARY", 10, 5, 5, exact=True)),
        ((25, 50, 75, 100), 90, Rollout("LINEAR", 25, 2, 2, exact=True)),
        ((100,), 120, Rollout("BLUE_GREEN", None, 0, 2, exact=True)),
        # the nearest: the first step, held as long as every step below 100% together
        ((10, 50, 100), 60, Rollout("CANARY", 10, 2, 1, exact=False)),
        ((40, 70, 100), 300, Rollout("CANARY", 40, 10, 5, exact=False)),
        (tuple(range(2, 101, 2)), 60, Rollout("CANARY", 2, 49, 1, exact=False)),  # ECS: 3% min
    ],
)
def test_steps_and_pause_become_what_ecs_offers(
    steps: tuple[int, ...], pause: float, expected: Rollout
) -> None:
    assert rollout(replace(CANARY, steps=steps, pause=pause)) == expected


def test_codedeploy_presets_map_onto_their_ecs_strategy() -> None:
    def preset(name: str) -> Rollout:
        text = f'{WEB}[deploy]\nstrategy = "{name}"\n'
        return rollout(parse_manifest(text).deploy)

    assert preset("ECSCanary10Percent5Minutes") == Rollout("CANARY", 10, 5, 5, exact=True)
    assert preset("ECSCanary10Percent15Minutes") == Rollout("CANARY", 10, 15, 15, exact=True)
    assert preset("ECSLinear10PercentEvery1Minutes") == Rollout("LINEAR", 10, 1, 1, exact=True)
    assert preset("ECSLinear10PercentEvery3Minutes") == Rollout("LINEAR", 10, 3, 3, exact=True)


def test_rolling_keeps_the_template_as_it_was() -> None:
    rolling = props(manifest("full"), "WebService")
    assert rolling["DeploymentConfiguration"] == {
        "MinimumHealthyPercent": 100,
        "MaximumPercent": 200,
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
    }
    assert "AdvancedConfiguration" not in rolling["LoadBalancers"][0]
    found = resources(manifest("full"))
    assert not [key for key in found if "Canary" in key or key.endswith("Alternate")]
    assert "TrafficShiftRole" not in found


@pytest.mark.parametrize("name", ["workers", "full"])
def test_a_canary_with_no_routed_service_to_cover_changes_nothing(name: str) -> None:
    # workers: no service has a port; full: the canary names only the worker
    services = None if name == "workers" else ("worker",)
    canary = with_deploy(name, replace(CANARY, services=services))
    for env in ("staging", "production"):
        assert synth_env(canary, env).to_dict() == synth_env(manifest(name), env).to_dict()


def test_a_canary_service_deploys_with_ecs_canary_and_rolls_back_on_its_alarms() -> None:
    web = props(manifest("canary"), "WebService")
    assert web["DeploymentConfiguration"] == {
        "Strategy": "CANARY",
        "CanaryConfiguration": {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 5},
        "BakeTimeInMinutes": 5,
        "Alarms": {
            "AlarmNames": [{"Ref": "WebCanaryErrors"}, {"Ref": "WebCanaryLatency"}],
            "Enable": True,
            "Rollback": True,
        },
    }
    assert web["LoadBalancers"] == [
        {
            "ContainerName": "web",
            "ContainerPort": 8080,
            "TargetGroupArn": {"Ref": "WebTargets"},
            "AdvancedConfiguration": {
                "AlternateTargetGroupArn": {"Ref": "WebTargetsAlternate"},
                "ProductionListenerRule": {"Ref": "WebProductionRule"},
                "RoleArn": {"Fn::GetAtt": ["TrafficShiftRole", "Arn"]},
            },
        }
    ]


def test_a_linear_preset_becomes_ecs_linear_with_the_5xx_alarm_only() -> None:
    config = props(manifest("canary"), "ApiService", "production")["DeploymentConfiguration"]
    assert config["Strategy"] == "LINEAR"
    assert config["LinearConfiguration"] == {"StepPercent": 10.0, "StepBakeTimeInMinutes": 3}
    assert config["BakeTimeInMinutes"] == 3
    assert config["Alarms"]["AlarmNames"] == [{"Ref": "ApiCanaryErrors"}]
    assert "ApiCanaryLatency" not in resources(manifest("canary"), "production")


def test_the_5xx_alarm_is_a_ceiling_on_either_target_groups_own_rate() -> None:
    alarm = props(manifest("canary"), "WebCanaryErrors")
    assert alarm["AlarmName"] == "launchdeck-radio-staging-web-canary-5xx"
    assert alarm["Threshold"] == 2  # max_error_rate_increase = "2%", in percent
    assert (alarm["ComparisonOperator"], alarm["DatapointsToAlarm"]) == ("GreaterThanThreshold", 2)
    assert (alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (3, "notBreaching")
    assert group_dims(alarm) == WEB_GROUPS * 2
    assert expression(alarm, "rate_b") == (
        "IF(FILL(requests_b, 0) >= 20, 100 * FILL(errors_b, 0) / FILL(requests_b, 1), 0)"
    )
    assert expression(alarm, "worst") == "IF(rate_a > rate_b, rate_a, rate_b)"
    assert [q["Id"] for q in alarm["Metrics"] if q["ReturnData"]] == ["worst"]
    assert "AlarmActions" not in alarm  # ECS acts on it; the deploy reports the rollback


def test_the_latency_alarm_compares_the_canarys_p95_with_the_serving_one() -> None:
    alarm = props(manifest("canary"), "WebCanaryLatency")
    assert alarm["AlarmName"] == "launchdeck-radio-staging-web-canary-p95"
    assert alarm["Threshold"] == 1.25  # max_latency_increase = "25%"
    # at 10% the canary is the target group with fewer requests
    assert expression(alarm, "ratio") == (
        "IF(FILL(requests_a, 0) >= 20 AND FILL(requests_b, 0) >= 20, "
        "IF(FILL(requests_a, 0) < FILL(requests_b, 0), "
        "FILL(p95_a, 1) / FILL(p95_b, 1), FILL(p95_b, 1) / FILL(p95_a, 1)), 0)"
    )
    stats = [q["MetricStat"]["Stat"] for q in alarm["Metrics"] if "MetricStat" in q]
    assert stats == ["Sum", "Sum", "p95", "p95"]


def test_above_half_the_canary_is_the_busier_group_and_at_half_neither() -> None:
    above = with_deploy("web", replace(CANARY, steps=(60, 100)))
    assert "FILL(requests_a, 0) > FILL(requests_b, 0)" in expression(
        props(above, "WebCanaryLatency"), "ratio"
    )
    half = with_deploy("web", replace(CANARY, steps=(50, 100)))
    assert "WebCanaryLatency" not in resources(half)


def test_the_default_service_gets_a_catch_all_rule_and_others_their_host_rule_split() -> None:
    found = resources(manifest("canary"))
    production = found["WebProductionRule"]["Properties"]
    assert production["Priority"] == 50000
    assert production["Conditions"] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}
    ]
    assert production["Actions"] == [
        {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [
                    {"TargetGroupArn": {"Ref": "WebTargets"}, "Weight": 100},
                    {"TargetGroupArn": {"Ref": "WebTargetsAlternate"}, "Weight": 0},
                ]
            },
        }
    ]
    weights = found["ApiHostRule"]["Properties"]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    assert [w["Weight"] for w in weights] == [100, 0]
    alternate = found["WebTargetsAlternate"]["Properties"]
    assert alternate == found["WebTargets"]["Properties"]  # same port, health check, drain


def test_ecs_may_only_register_in_the_pairs_and_move_their_rules() -> None:
    role = props(manifest("canary"), "TrafficShiftRole")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ecs.amazonaws.com"
    }
    describe, register, modify = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert describe["Resource"] == "*"
    assert all(action.startswith("elasticloadbalancing:Describe") for action in describe["Action"])
    assert register["Resource"] == [
        {"Ref": name} for name in ("WebTargets", "WebTargetsAlternate",
                                   "ApiTargets", "ApiTargetsAlternate")
    ]  # fmt: skip
    assert modify == {
        "Effect": "Allow",
        "Action": "elasticloadbalancing:ModifyRule",
        "Resource": [{"Ref": "WebProductionRule"}, {"Ref": "ApiHostRule"}],
    }


def test_a_worker_rolls_as_before_once_the_canary_is_done() -> None:
    found = resources(manifest("canary"))
    worker = found["WorkerService"]
    assert worker["Properties"]["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }
    assert "Strategy" not in worker["Properties"]["DeploymentConfiguration"]
    assert worker["DependsOn"] == ["WebService", "ApiService"]


def test_deploy_services_limits_the_canary_to_those_named() -> None:
    only_api = with_deploy("canary", replace(CANARY, steps=(10, 100), services=("api",)))
    found = resources(only_api)
    assert "WebTargetsAlternate" not in found and "WebProductionRule" not in found
    assert "Strategy" not in found["WebService"]["Properties"]["DeploymentConfiguration"]
    assert found["WebService"]["DependsOn"] == ["HttpsListener", "ApiHostRule", "ApiService"]
    assert found["ApiService"]["Properties"]["DeploymentConfiguration"]["Strategy"] == "CANARY"


def test_autoscaling_of_a_canary_service_reads_both_target_groups() -> None:
    found = resources(manifest("canary"))
    requests = found["ApiRequestScaling"]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert requests["TargetValue"] == 40 * 60.0
    metrics = requests["CustomizedMetricSpecification"]["Metrics"]
    assert [m["MetricStat"]["Metric"]["MetricName"] for m in metrics[:2]] == [
        "RequestCountPerTarget"
    ] * 2
    assert metrics[2] == {"Id": "both", "Expression": "FILL(a, 0) + FILL(b, 0)", "ReturnData": True}
    p95 = found["ApiP95Scaling"]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert p95["CustomizedMetricSpecification"]["Metrics"][2]["Expression"] == (
        "IF(FILL(a, 0) > FILL(b, 0), FILL(a, 0), FILL(b, 0))"
    )


def test_alerts_and_health_alarms_of_a_canary_service_read_both_target_groups() -> None:
    found = resources(manifest("canary"))
    errors = found["WebErrorsAlarm"]["Properties"]
    assert group_dims(errors) == WEB_GROUPS * 2
    assert expression(errors, "value") == (
        "IF((FILL(requests_a, 0) + FILL(requests_b, 0)) > 0, 100 * (FILL(target_a, 0) + "
        "FILL(target_b, 0)) / (FILL(requests_a, 0) + FILL(requests_b, 0)), 0)"
    )
    slow = found["ApiSlowAlarm"]["Properties"]
    assert expression(slow, "value") == (
        "IF(FILL(time_a, 0) > FILL(time_b, 0), FILL(time_a, 0), FILL(time_b, 0))"
    )
    assert slow["Threshold"] == 0.8
    assert "WebUnhealthyHostsAlternate" in found and "ApiUnhealthyHostsAlternate" in found


def test_the_deploy_role_may_pass_the_traffic_role_to_ecs_only_with_a_canary() -> None:
    def passed_to(m: Manifest) -> list[str]:
        role = synth_shared(m).to_dict()["Resources"]["DeployRole"]["Properties"]
        return [
            s["Condition"]["StringEquals"]["iam:PassedToService"]
            for s in role["Policies"][0]["PolicyDocument"]["Statement"]
            if s["Action"] == "iam:PassRole"
        ]

    assert passed_to(manifest("canary")) == ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"]
    assert passed_to(manifest("full")) == ["ecs-tasks.amazonaws.com"]


def test_a_pause_ecs_or_cloudformation_cannot_wait_is_refused() -> None:
    # the nearest canary holds 10% for 2 pauses, then bakes 1: 33 hours are 3 pauses of 11h
    text = WEB + '[deploy]\nstrategy = "canary"\nsteps = [10, 50, 100]\npause = "13h"\n'
    assert [str(issue) for issue in validate(parse_manifest(text), "staging")] == [
        "deploy.pause: is too long for ECS with steps = [10, 50, 100]: a step holds a day at "
        "most, and CloudFormation gives up on a deployment after 33 hours (got '13h'); "
        'fix: use pause = "11h" or less, or fewer steps'
    ]
    linear = text.replace('steps = [10, 50, 100]\npause = "13h"', 'pause = "4h"').replace(
        '"canary"', '"canary"\nsteps = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]'
    )
    assert [issue.path for issue in validate(parse_manifest(linear), "production")] == [
        "deploy.pause"
    ]
