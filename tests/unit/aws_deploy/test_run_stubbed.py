"""`aws run` through the real boto3 wrappers, every request and answer checked by botocore's
Stubber against the services' own API models: DescribeStacks, GetParameter, RunTask,
DescribeTasks and GetLogEvents, in the order a run makes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.stub import Stubber

from launchdeck.awsdeploy import AwsApis, RunResult, run
from launchdeck.drivers.aws.clients import (
    Logs,
    Parameters,
    Registry,
    Services,
    Stacks,
    Tasks,
    Templates,
)
from tests.clock import ManualClock

STACK = "launchdeck-shop-production"
CLUSTER = "launchdeck-shop-production"
FAMILY = "launchdeck-shop-production-run"
GROUP = "/launchdeck/shop/production/run"
TASK_ID = "0123456789abcdef0123456789abcdef"
TASK = f"arn:aws:ecs:us-east-1:123456789012:task/{CLUSTER}/{TASK_ID}"
AT = datetime(2026, 3, 1, tzinfo=UTC)
OUTPUTS = {
    "ClusterName": CLUSTER,
    "RunTaskFamily": FAMILY,
    "RunLogGroup": GROUP,
    "PrivateSubnetIds": "subnet-a,subnet-b",
    "AppSecurityGroupId": "sg-app",
}


def stack() -> dict[str, Any]:
    return {
        "StackName": STACK,
        "StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/1",
        "CreationTime": AT,
        "StackStatus": "UPDATE_COMPLETE",
        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS.items()],
    }


def task(status: str, **extra: Any) -> dict[str, Any]:
    return {"taskArn": TASK, "lastStatus": status, "group": "run", **extra}


def events(*lines: tuple[int, str]) -> list[dict[str, Any]]:
    return [{"timestamp": ts, "message": text, "ingestionTime": ts + 1} for ts, text in lines]


def test_a_migration_runs_and_its_exit_code_comes_back(
    stubbed: Callable[[str], tuple[Any, Stubber]],
) -> None:
    cf, cf_stub = stubbed("cloudformation")
    ssm, ssm_stub = stubbed("ssm")
    ecs, ecs_stub = stubbed("ecs")
    logs, logs_stub = stubbed("logs")
    cf_stub.add_response("describe_stacks", {"Stacks": [stack()]}, {"StackName": STACK})
    ssm_stub.add_client_error(
        "get_parameter",
        service_error_code="ParameterNotFound",
        expected_params={"Name": "/launchdeck/shop/production/rolled-back-to"},
    )
    ecs_stub.add_response(
        "run_task",
        {"tasks": [task("PROVISIONING")], "failures": []},
        {
            "cluster": CLUSTER,
            "taskDefinition": FAMILY,
            "count": 1,
            "launchType": "FARGATE",
            "platformVersion": "LATEST",
            "group": "run",
            "startedBy": "launchdeck",
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": ["subnet-a", "subnet-b"],
                    "securityGroups": ["sg-app"],
                    "assignPublicIp": "DISABLED",
                }
            },
            "overrides": {
                "containerOverrides": [{"name": "run", "command": ["python manage.py migrate"]}]
            },
        },
    )
    described = {"cluster": CLUSTER, "tasks": [TASK]}
    ecs_stub.add_response("describe_tasks", {"tasks": [task("RUNNING")]}, described)
    stopped = task(
        "STOPPED",
        stopCode="EssentialContainerExited",
        containers=[{"name": "run", "lastStatus": "STOPPED", "exitCode": 0}],
    )
    ecs_stub.add_response("describe_tasks", {"tasks": [stopped]}, described)
    stream = {"logGroupName": GROUP, "logStreamName": f"run/run/{TASK_ID}", "startFromHead": True}
    answers = [
        (None, events((1000, "Operations to perform:")), "f/1"),  # while it runs
        ("f/1", [], "f/1"),  # as it stops
        ("f/1", events((1500, "  Applying shop.0002... OK")), "f/2"),  # CloudWatch, late
        ("f/2", [], "f/2"),
        ("f/2", [], "f/2"),  # twice nothing new: the output is whole
    ]
    for token, found, next_token in answers:
        logs_stub.add_response(
            "get_log_events",
            {"events": found, "nextForwardToken": next_token, "nextBackwardToken": "b"},
            stream | ({"nextToken": token} if token else {}),
        )
    aws = AwsApis(
        stacks=Stacks(cf),
        services=Services(ecs),
        logs=Logs(logs),
        registry=Registry(stubbed("ecr")[0]),
        parameters=Parameters(ssm),
        templates=Templates(stubbed("s3")[0]),
        tasks=Tasks(ecs),
    )
    lines: list[str] = []

    result = run(
        aws, "shop", "production", "python manage.py migrate",
        on_line=lambda line: lines.append(line.message), clock=ManualClock(),
    )  # fmt: skip

    assert result == RunResult(TASK, 0, "")
    assert lines == ["Operations to perform:", "  Applying shop.0002... OK"]
    for stub in (cf_stub, ssm_stub, ecs_stub, logs_stub):
        stub.assert_no_pending_responses()
