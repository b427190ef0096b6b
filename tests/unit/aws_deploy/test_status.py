from __future__ import annotations

import pytest

from launchdeck.awsdeploy import Waits, deploy, status
from launchdeck.awsdeploy.model import ServiceStatus
from launchdeck.drivers.aws.errors import OutputMissing, StackMissing
from tests.unit.aws_deploy.fakes import DIGEST_A, REGISTRY, World, env_template, shared_template

SERVICES = ["web", "worker"]


def test_status_reports_the_stack_the_digest_and_each_service() -> None:
    world = World()
    world.push(DIGEST_A)
    deploy(
        world.aws,
        "shop",
        "staging",
        SERVICES,
        shared_template(),
        env_template(),
        f"{REGISTRY}/launchdeck/shop/web@{DIGEST_A}",
        confirm=lambda _: True,
        clock=world.clock,
        waits=Waits(),
    )

    found = status(world.aws, "shop", "staging", SERVICES)

    assert (found.stack, found.stack_status, found.digest, found.url) == (
        "launchdeck-shop-staging",
        "CREATE_COMPLETE",
        DIGEST_A,
        "https://shop-staging.elb.example",
    )
    assert found.services == (
        ServiceStatus("web", 2, 2, "COMPLETED", "shop-staging-web:1", 1),
        ServiceStatus("worker", 2, 2, "COMPLETED", "shop-staging-worker:1", 1),
    )
    assert found.rolled_back_to == {}


def test_status_of_a_stack_being_created_shows_no_services_yet() -> None:
    world = World()
    world.stacks.put("launchdeck-shop-staging", "CREATE_IN_PROGRESS", {"ImageDigest": DIGEST_A})

    found = status(world.aws, "shop", "staging", SERVICES)

    assert found.stack_status == "CREATE_IN_PROGRESS" and found.services == ()


def test_status_of_a_stack_without_the_contract_outputs_says_to_synthesize_again() -> None:
    world = World()
    world.stacks.put("launchdeck-shop-staging", "UPDATE_COMPLETE", {"ImageDigest": DIGEST_A})

    with pytest.raises(OutputMissing) as missing:
        status(world.aws, "shop", "staging", SERVICES)

    assert (missing.value.message, missing.value.fix) == (
        "stack launchdeck-shop-staging has no output ClusterName: its template predates this "
        "launchdeck or was written by hand",
        "synthesize it again (launchdeck aws synth) and deploy",
    )


def test_status_of_an_environment_never_deployed() -> None:
    with pytest.raises(StackMissing) as missing:
        status(World().aws, "shop", "production", SERVICES)

    assert (missing.value.message, missing.value.fix) == (
        "stack launchdeck-shop-production does not exist: production was never deployed",
        "deploy production first (launchdeck aws deploy --env production --image ...)",
    )
