from __future__ import annotations

import pytest

from launchdeck.awsdeploy import Outcome, Waits, deploy, promote, rollback
from launchdeck.drivers.aws.errors import (
    InvalidRequest,
    NoImageDeployed,
    SourceRolledBack,
    StackBusy,
    StackMissing,
)
from tests.unit.aws_deploy.fakes import (
    DIGEST_A,
    DIGEST_B,
    REGISTRY,
    World,
    env_template,
    shared_template,
)

SERVICES = ["web", "worker"]


def deploy_staging(world: World, digest: str) -> None:
    deploy(
        world.aws,
        "shop",
        "staging",
        SERVICES,
        shared_template(),
        env_template(env="staging"),
        f"{REGISTRY}/launchdeck/shop/web@{digest}",
        confirm=lambda _: True,
        clock=world.clock,
        waits=Waits(),
    )


def promote_to_production(world: World, **kwargs):
    return promote(
        world.aws,
        "shop",
        kwargs.pop("from_env", "staging"),
        kwargs.pop("to_env", "production"),
        SERVICES,
        shared_template(),
        env_template(env="production"),
        confirm=lambda _: True,
        clock=world.clock,
        waits=Waits(),
        **kwargs,
    )


def test_promote_deploys_the_exact_digest_staging_runs_and_rebuilds_nothing() -> None:
    world = World()
    world.push(DIGEST_A)
    world.push(DIGEST_B)
    deploy_staging(world, DIGEST_A)
    deploy_staging(world, DIGEST_B)
    world.calls.clear()

    result = promote_to_production(world)

    assert result.outcome is Outcome.CHANGED and result.env == "production"
    assert result.digest == DIGEST_B
    assert world.stacks.stacks["launchdeck-shop-production"].parameters == {"ImageDigest": DIGEST_B}
    checked = {args for name, args in world.calls if name == "describe_images"}
    assert checked == {("launchdeck/shop/web", DIGEST_B), ("launchdeck/shop/worker", DIGEST_B)}
    assert world.stacks.stacks["launchdeck-shop-staging"].parameters == {"ImageDigest": DIGEST_B}


def test_promote_from_an_environment_never_deployed_says_to_deploy_it_first() -> None:
    with pytest.raises(StackMissing) as missing:
        promote_to_production(World())

    assert (missing.value.message, missing.value.fix) == (
        "stack launchdeck-shop-staging does not exist: staging was never deployed",
        "deploy staging first (launchdeck aws deploy --env staging --image ...)",
    )


def test_promote_waits_for_no_one_while_the_source_is_mid_update() -> None:
    world = World()
    world.stacks.put("launchdeck-shop-staging", "UPDATE_IN_PROGRESS", {"ImageDigest": DIGEST_A})

    with pytest.raises(StackBusy):
        promote_to_production(world)

    assert not any(name == "create_change_set" for name, _ in world.calls)


def test_promote_from_a_stack_without_an_image() -> None:
    world = World()
    world.stacks.put("launchdeck-shop-staging", "UPDATE_COMPLETE", {"ImageDigest": ""})

    with pytest.raises(NoImageDeployed) as none:
        promote_to_production(world)

    assert (none.value.message, none.value.fix) == (
        "stack launchdeck-shop-staging runs no image: it has no ImageDigest",
        "deploy that environment with --image first",
    )


def test_promote_from_a_stack_whose_creation_failed() -> None:
    world = World()
    world.stacks.put("launchdeck-shop-staging", "ROLLBACK_COMPLETE", {"ImageDigest": DIGEST_A})

    with pytest.raises(NoImageDeployed) as none:
        promote_to_production(world)

    assert (none.value.message, none.value.fix) == (
        "stack launchdeck-shop-staging runs no image: it is ROLLBACK_COMPLETE (it was never "
        "created)",
        "deploy that environment with --image first",
    )


def test_promote_from_a_rolled_back_environment_is_refused() -> None:
    world = World()
    world.push(DIGEST_A)
    world.push(DIGEST_B)
    deploy_staging(world, DIGEST_A)
    deploy_staging(world, DIGEST_B)
    rollback(world.aws, "shop", "staging", SERVICES, clock=world.clock)

    with pytest.raises(SourceRolledBack) as refused:
        promote_to_production(world)

    assert (refused.value.message, refused.value.fix) == (
        "staging was rolled back (web, worker run an older task definition than its stack's "
        "ImageDigest), so there is no single image to promote",
        "deploy staging again (or roll forward), then promote",
    )


def test_promote_to_itself_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        promote_to_production(World(), to_env="staging")

    assert (refused.value.message, refused.value.fix) == (
        "promote --from and --to are both 'staging'",
        "name two environments",
    )
