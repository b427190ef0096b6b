"""`Tasks` against ECS's own API model (botocore's Stubber): RunTask and DescribeTasks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from launchdeck.drivers.aws.clients import RunRequest, Tasks, TaskState
from launchdeck.drivers.aws.errors import AwsCallFailed, TaskNotStarted

CLUSTER = "launchdeck-shop-production"
TASK = f"arn:aws:ecs:us-east-1:123456789012:task/{CLUSTER}/0123456789abcdef0123456789abcdef"
FAMILY = "launchdeck-shop-production-run"
REVISION = f"arn:aws:ecs:us-east-1:123456789012:task-definition/{FAMILY}:7"
AT = datetime(2026, 3, 1, tzinfo=UTC)
REQUEST = RunRequest(
    cluster=CLUSTER,
    family=FAMILY,
    container="run",
    command="python manage.py migrate",
    subnets=("subnet-a", "subnet-b"),
    security_groups=("sg-app",),
    group="run",
)
EXPECTED_RUN = {
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
    "overrides": {"containerOverrides": [{"name": "run", "command": ["python manage.py migrate"]}]},
}


def task(status: str, **extra: object) -> dict[str, object]:
    return {
        "taskArn": TASK,
        "clusterArn": f"arn:aws:ecs:us-east-1:123456789012:cluster/{CLUSTER}",
        "taskDefinitionArn": REVISION,
        "lastStatus": status,
        "desiredStatus": "STOPPED" if status == "STOPPED" else "RUNNING",
        "group": "run",
        "launchType": "FARGATE",
        "createdAt": AT,
        **extra,
    }


def test_run_starts_one_fargate_task_with_the_command(stubbed) -> None:
    client, stub = stubbed("ecs")
    stub.add_response("run_task", {"tasks": [task("PROVISIONING")], "failures": []}, EXPECTED_RUN)

    assert Tasks(client).run(REQUEST) == TASK


def test_run_says_why_ecs_started_nothing(stubbed) -> None:
    client, stub = stubbed("ecs")
    failures = [{"arn": f"{FAMILY}", "reason": "MISSING", "detail": "no ACTIVE revision"}]
    stub.add_response("run_task", {"tasks": [], "failures": failures}, EXPECTED_RUN)

    with pytest.raises(TaskNotStarted) as caught:
        Tasks(client).run(REQUEST)
    assert caught.value.message == (
        f"ECS did not start a task of {FAMILY}: MISSING (no ACTIVE revision)"
    )


def test_run_refused_by_ecs_is_a_call_failure(stubbed) -> None:
    client, stub = stubbed("ecs")
    stub.add_client_error(
        "run_task",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: iam:PassRole",
        expected_params=EXPECTED_RUN,
    )

    with pytest.raises(AwsCallFailed) as caught:
        Tasks(client).run(REQUEST)
    assert (caught.value.operation, caught.value.code) == ("RunTask", "AccessDeniedException")


def test_describe_reads_the_containers_exit_code(stubbed) -> None:
    client, stub = stubbed("ecs")
    stopped = task(
        "STOPPED",
        stopCode="EssentialContainerExited",
        stoppedReason="Essential container in task exited",
        containers=[{"name": "run", "lastStatus": "STOPPED", "exitCode": 3}],
    )
    stub.add_response(
        "describe_tasks",
        {"tasks": [stopped], "failures": []},
        {"cluster": CLUSTER, "tasks": [TASK]},
    )

    state = Tasks(client).describe(CLUSTER, TASK, "run")

    assert state == TaskState(
        arn=TASK,
        status="STOPPED",
        task_definition=REVISION,
        exit_code=3,
        stop_code="EssentialContainerExited",
        stopped_reason="Essential container in task exited",
    )
    assert (state.id, state.stopped) == ("0123456789abcdef0123456789abcdef", True)


def test_describe_a_task_that_never_ran_its_command(stubbed) -> None:
    client, stub = stubbed("ecs")
    failed = task(
        "STOPPED",
        stopCode="TaskFailedToStart",
        stoppedReason="CannotPullContainerError: pull image manifest has been retried",
        containers=[{"name": "run", "lastStatus": "STOPPED", "reason": "CannotPullContainerError"}],
    )
    stub.add_response("describe_tasks", {"tasks": [failed]})

    state = Tasks(client).describe(CLUSTER, TASK, "run")

    assert state is not None
    assert (state.exit_code, state.stop_code, state.container_reason) == (
        None,
        "TaskFailedToStart",
        "CannotPullContainerError",
    )


def test_describe_a_task_ecs_has_forgotten(stubbed) -> None:
    client, stub = stubbed("ecs")
    stub.add_response(
        "describe_tasks", {"tasks": [], "failures": [{"arn": TASK, "reason": "MISSING"}]}
    )

    assert Tasks(client).describe(CLUSTER, TASK, "run") is None
