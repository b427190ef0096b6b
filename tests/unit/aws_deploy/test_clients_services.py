from __future__ import annotations

from datetime import UTC, datetime

import pytest

from launchdeck.drivers.aws.clients import Services
from launchdeck.drivers.aws.errors import ServiceMissing

AT = datetime(2024, 5, 1, tzinfo=UTC)
TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/"


def service(name: str, *, rollout: str | None = "COMPLETED", status: str = "ACTIVE") -> dict:
    deployment = {
        "id": "ecs-svc/1",
        "status": "PRIMARY",
        "taskDefinition": f"{TD}{name}:3",
        "desiredCount": 2,
        "runningCount": 2,
        "failedTasks": 0,
        "createdAt": AT,
    }
    if rollout:
        deployment |= {"rolloutState": rollout, "rolloutStateReason": "ECS deployment completed."}
    return {
        "serviceName": name,
        "status": status,
        "taskDefinition": f"{TD}{name}:3",
        "desiredCount": 2,
        "runningCount": 2,
        "deployments": [deployment],
        "events": [
            {"id": "ev2", "createdAt": AT, "message": f"({name}) has reached a steady state."}
        ],
    }


def test_describe_reads_deployments_and_events(stubbed) -> None:
    client, stub = stubbed("ecs")
    stub.add_response(
        "describe_services",
        {"services": [service("shop-staging-web")]},
        {"cluster": "shop-staging", "services": ["shop-staging-web"]},
    )

    state = Services(client).describe("shop-staging", ["shop-staging-web"])["shop-staging-web"]

    assert (state.running, state.desired, state.task_definition) == (
        2,
        2,
        f"{TD}shop-staging-web:3",
    )
    assert state.primary is not None and state.primary.rollout_state == "COMPLETED"
    assert state.events[0].message == "(shop-staging-web) has reached a steady state."


def test_describe_asks_ten_services_at_a_time(stubbed) -> None:
    client, stub = stubbed("ecs")
    names = [f"svc{i}" for i in range(12)]
    stub.add_response(
        "describe_services",
        {"services": [service(n) for n in names[:10]]},
        {"cluster": "c", "services": names[:10]},
    )
    stub.add_response(
        "describe_services",
        {"services": [service(n) for n in names[10:]]},
        {"cluster": "c", "services": names[10:]},
    )

    assert list(Services(client).describe("c", names)) == names


def test_a_deployment_without_rollout_state_says_so(stubbed) -> None:
    client, stub = stubbed("ecs")
    stub.add_response("describe_services", {"services": [service("web", rollout=None)]})

    state = Services(client).describe("c", ["web"])["web"]

    assert state.primary is not None and state.primary.rollout_state is None


@pytest.mark.parametrize(
    "answer",
    [
        {
            "services": [],
            "failures": [{"arn": "arn:aws:ecs:us-east-1:1:service/c/web", "reason": "MISSING"}],
        },
        {"services": [service("web", status="INACTIVE")]},
    ],
)
def test_a_missing_or_deleted_service_is_named(stubbed, answer: dict) -> None:
    client, stub = stubbed("ecs")
    stub.add_response("describe_services", answer)

    with pytest.raises(ServiceMissing) as missing:
        Services(client).describe("shop-staging", ["web"])

    assert (missing.value.message, missing.value.fix) == (
        "ECS service web is not in cluster shop-staging",
        "deploy the environment again to recreate it",
    )


def test_update_points_the_service_at_a_task_definition(stubbed) -> None:
    client, stub = stubbed("ecs")
    stub.add_response(
        "update_service",
        {"service": service("web")},
        {
            "cluster": "shop-staging",
            "service": "web",
            "taskDefinition": f"{TD}web:2",
            "forceNewDeployment": False,
        },
    )

    Services(client).update("shop-staging", "web", f"{TD}web:2")


def test_previous_is_the_newest_older_active_revision_of_exactly_that_family(stubbed) -> None:
    client, stub = stubbed("ecs")
    query = {"familyPrefix": "shop-web", "status": "ACTIVE", "sort": "DESC"}
    stub.add_response(
        "list_task_definitions",
        {
            "taskDefinitionArns": [f"{TD}shop-webhook:9", f"{TD}shop-web:7", f"{TD}shop-web:5"],
            "nextToken": "n2",
        },
        query,
    )
    stub.add_response(
        "list_task_definitions",
        {
            "taskDefinitionArns": [f"{TD}shop-webhook:2", f"{TD}shop-web:4", f"{TD}shop-web:1"],
        },
        {**query, "nextToken": "n2"},
    )

    previous = Services(client).previous("shop-web", f"{TD}shop-web:5")

    assert previous is not None and previous.arn == f"{TD}shop-web:4"
    assert str(previous) == "shop-web:4"


def test_latest_and_no_previous(stubbed) -> None:
    client, stub = stubbed("ecs")
    query = {"familyPrefix": "shop-web", "status": "ACTIVE", "sort": "DESC"}
    stub.add_response("list_task_definitions", {"taskDefinitionArns": [f"{TD}shop-web:1"]}, query)
    stub.add_response("list_task_definitions", {"taskDefinitionArns": [f"{TD}shop-web:1"]}, query)

    services = Services(client)
    latest = services.latest("shop-web")
    assert latest is not None and latest.revision == 1
    assert services.previous("shop-web", f"{TD}shop-web:1") is None
