from __future__ import annotations

import json

import pytest

from launchdeck.awsdeploy import Outcome, Waits, deploy, rollback, status
from launchdeck.drivers.aws.errors import NoPreviousRevision
from tests.unit.aws_deploy.fakes import (
    DIGEST_A,
    DIGEST_B,
    REGISTRY,
    World,
    arn,
    env_template,
    shared_template,
)

SERVICES = ["web", "worker"]
RECORD = "/launchdeck/shop/staging/rolled-back-to"


def deploy_staging(world: World, digest: str):
    return deploy(
        world.aws,
        "shop",
        "staging",
        SERVICES,
        shared_template(),
        env_template(),
        f"{REGISTRY}/launchdeck/shop/web@{digest}",
        confirm=lambda _: True,
        clock=world.clock,
        waits=Waits(),
    )


def test_rollback_moves_each_service_to_its_previous_revision_and_records_it() -> None:
    world = World()
    world.push(DIGEST_A)
    world.push(DIGEST_B)
    deploy_staging(world, DIGEST_A)
    deploy_staging(world, DIGEST_B)
    world.calls.clear()
    started = world.clock.now()

    result = rollback(world.aws, "shop", "staging", SERVICES, clock=world.clock)

    assert [(m.service, m.from_revision, m.to_revision) for m in result.services] == [
        ("web", arn("shop-staging-web", 2), arn("shop-staging-web", 1)),
        ("worker", arn("shop-staging-worker", 2), arn("shop-staging-worker", 1)),
    ]
    assert world.running("staging", "web") == arn("shop-staging-web", 1)
    assert json.loads(world.parameters.values[RECORD]) == {
        "at": started,
        "services": {"web": arn("shop-staging-web", 1), "worker": arn("shop-staging-worker", 1)},
    }
    assert not any(name.endswith("change_set") for name, _ in world.calls)  # no CloudFormation
    updates = [args for name, args in world.calls if name == "update_service"]
    assert updates == [
        ("shop-staging", "shop-staging-web", arn("shop-staging-web", 1)),
        ("shop-staging", "shop-staging-worker", arn("shop-staging-worker", 1)),
    ]
    # the record was written before any service changed
    names = [name for name, _ in world.calls]
    assert names.index("put_parameter") < names.index("update_service")
    # and ECS was watched until the old revision was the primary deployment, rolled out
    state = world.services.describe("shop-staging", ["shop-staging-web"])["shop-staging-web"]
    assert state.primary.rollout_state == "COMPLETED"


def test_status_shows_the_rollback_and_the_next_deploy_reconciles_it() -> None:
    world = World()
    world.push(DIGEST_A)
    world.push(DIGEST_B)
    deploy_staging(world, DIGEST_A)
    deploy_staging(world, DIGEST_B)
    rollback(world.aws, "shop", "staging", SERVICES, clock=world.clock)
    assert status(world.aws, "shop", "staging", SERVICES).rolled_back_to == {
        "web": arn("shop-staging-web", 1),
        "worker": arn("shop-staging-worker", 1),
    }

    # a teammate deploys the same digest: the template did not change, the services did
    result = deploy_staging(world, DIGEST_B)

    assert result.outcome is Outcome.UNCHANGED
    assert result.reconciled == ("web", "worker")
    assert result.task_definitions == {
        "web": "shop-staging-web:2",
        "worker": "shop-staging-worker:2",
    }
    assert world.running("staging", "web") == arn("shop-staging-web", 2)
    assert RECORD not in world.parameters.values
    assert status(world.aws, "shop", "staging", SERVICES).rolled_back_to == {}


def test_a_deploy_whose_reconciling_rollout_fails_keeps_the_record_for_the_next_one() -> None:
    world = World()
    world.push(DIGEST_A)
    world.push(DIGEST_B)
    deploy_staging(world, DIGEST_A)
    deploy_staging(world, DIGEST_B)
    rollback(world.aws, "shop", "staging", SERVICES, clock=world.clock)
    world.services.fail_next["shop-staging-web"] = "essential container exited"

    with pytest.raises(Exception, match="essential container exited"):
        deploy_staging(world, DIGEST_B)

    assert RECORD in world.parameters.values


def test_rollback_without_an_older_revision_changes_nothing() -> None:
    world = World()
    world.push(DIGEST_A)
    deploy_staging(world, DIGEST_A)
    world.calls.clear()

    with pytest.raises(NoPreviousRevision) as none:
        rollback(world.aws, "shop", "staging", SERVICES, clock=world.clock)

    assert (none.value.message, none.value.fix) == (
        "cannot roll back web: task family shop-staging-web has no ACTIVE revision older than "
        f"the one it runs ({arn('shop-staging-web', 1)})",
        "deploy an earlier image by digest instead",
    )
    assert not any(name in ("update_service", "put_parameter") for name, _ in world.calls)
