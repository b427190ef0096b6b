"""Deployments' lookups and checks that run before any job is queued: no builder or driver is
touched on these paths, so both are left out (None)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from launchdeck.controlplane.deploys.deployments import Deployments, new_instance_id
from launchdeck.controlplane.errors import Conflict, Invalid, NotFound
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import (
    BuildRef,
    Deployment,
    DeploymentKind,
    DeploymentState,
    Release,
    Scale,
    ServiceSpec,
)
from tests.unit.controlplane.deployment_fakes import InlineWorkers, RecordingDeployments
from tests.unit.controlplane.store_fixtures import put_env

SUCCEEDED, FAILED, ROLLED_BACK = (
    DeploymentState.SUCCEEDED,
    DeploymentState.FAILED,
    DeploymentState.ROLLED_BACK,
)


def release(version: int) -> Release:
    return Release(
        app="shop",
        env="staging",
        version=version,
        build=BuildRef(digest=f"sha256:{version:064x}", kind="python", created_at=1.0),
        config={"V": str(version)},
        services={
            "web": ServiceSpec(name="web", command="serve", port=True, scale=Scale(count=2)),
            "worker": ServiceSpec(name="worker", command="work"),
        },
        created_at=float(version),
        description=f"Deploy v{version}",
    )


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "launchdeck.db")
    s.create_app("shop", ["staging", "production"], now=1.0)
    yield s
    s.close()


@pytest.fixture
def deployments(store: Store) -> Deployments:
    return Deployments(store, None, None)  # type: ignore[arg-type]


def record(
    store: Store,
    to_release: int | None,
    state: DeploymentState = SUCCEEDED,
    kind: DeploymentKind = DeploymentKind.DEPLOY,
) -> Deployment:
    if to_release is not None and store.release("shop", "staging", to_release) is None:
        store.add_release(release(to_release))
    return store.add_deployment(
        Deployment(
            id=0,
            app="shop",
            env="staging",
            kind=kind,
            state=state,
            created_at=1.0,
            to_release=to_release,
        )
    )


def env(store: Store, current: int | None) -> EnvState:
    state = replace(store.env("shop", "staging"), release=current)  # type: ignore[type-var]
    put_env(store, state)
    return state


# -- new_instance_id --------------------------------------------------------------------------


def test_new_instance_id_is_service_release_and_six_hex_digits() -> None:
    assert re.fullmatch(r"web\.v3-[0-9a-f]{6}", new_instance_id("web", 3))
    assert re.fullmatch(r"api-gw\.v12-[0-9a-f]{6}", new_instance_id("api-gw", 12))


def test_new_instance_ids_differ() -> None:
    assert len({new_instance_id("web", 1) for _ in range(50)}) == 50


# -- _history --------------------------------------------------------------------------------


def test_history_is_empty_without_deployments(deployments: Deployments, store: Store) -> None:
    assert deployments._history(env(store, None)) == []


def test_history_lists_succeeded_releases_oldest_first(
    deployments: Deployments, store: Store
) -> None:
    for v in (1, 2, 3):
        record(store, v)

    assert deployments._history(env(store, 3)) == [1, 2, 3]


def test_history_skips_releases_that_never_became_current(
    deployments: Deployments, store: Store
) -> None:
    record(store, 1)
    record(store, 2, FAILED)  # release phase failed
    record(store, 3, ROLLED_BACK)  # health gate failed
    record(store, 4)
    record(store, None, FAILED)  # build failed: no release at all
    record(store, 5, DeploymentState.ROLLING)  # still running

    assert deployments._history(env(store, 4)) == [1, 4]


def test_history_collapses_restarts_and_scales_of_the_same_release(
    deployments: Deployments, store: Store
) -> None:
    record(store, 1)
    record(store, 2)
    record(store, 2, kind=DeploymentKind.RESTART)
    record(store, 2, kind=DeploymentKind.SCALE)
    record(store, 3, kind=DeploymentKind.CONFIG)

    assert deployments._history(env(store, 3)) == [1, 2, 3]


def test_history_only_looks_at_its_own_environment(deployments: Deployments, store: Store) -> None:
    record(store, 1)
    store.add_deployment(
        Deployment(
            id=0,
            app="shop",
            env="production",
            kind=DeploymentKind.DEPLOY,
            state=SUCCEEDED,
            created_at=1.0,
            to_release=7,
        )
    )

    assert deployments._history(env(store, 1)) == [1]


# -- _rollback_target ------------------------------------------------------------------------


def test_rollback_without_a_release_says_deploy_first(
    deployments: Deployments, store: Store
) -> None:
    with pytest.raises(Conflict) as err:
        deployments._rollback_target(env(store, None), None)

    assert (err.value.message, err.value.fix) == (
        "shop/staging has no release to roll back",
        "deploy first",
    )
    assert err.value.status == 409


def test_rollback_with_one_release_asks_for_a_version(
    deployments: Deployments, store: Store
) -> None:
    record(store, 1)

    with pytest.raises(Conflict) as err:
        deployments._rollback_target(env(store, 1), None)

    assert (err.value.message, err.value.fix) == (
        "shop/staging has no previous release to roll back to",
        "name one: launchdeck rollback vN",
    )


def test_rollback_goes_to_the_release_before_the_current_one(
    deployments: Deployments, store: Store
) -> None:
    record(store, 1)
    record(store, 2)
    record(store, 3, ROLLED_BACK)

    assert deployments._rollback_target(env(store, 2), None) == release(1)


def test_rolling_back_a_rollback_returns_to_the_release_it_left(
    deployments: Deployments, store: Store
) -> None:
    record(store, 1)
    record(store, 2)
    store.add_release(replace(release(1), version=3, description="Rollback to v1"))
    record(store, 3, kind=DeploymentKind.ROLLBACK)

    assert deployments._rollback_target(env(store, 3), None) == release(2)


def test_rollback_to_a_named_version(deployments: Deployments, store: Store) -> None:
    for v in (1, 2, 3):
        record(store, v)

    assert deployments._rollback_target(env(store, 3), 1) == release(1)


def test_rollback_to_a_named_version_needs_no_history(
    deployments: Deployments, store: Store
) -> None:
    store.add_release(release(1))
    store.add_release(release(2))

    assert deployments._rollback_target(env(store, 2), 1) == release(1)


def test_rollback_to_an_unknown_version_says_where_to_look(
    deployments: Deployments, store: Store
) -> None:
    record(store, 1)
    record(store, 2)

    with pytest.raises(NotFound) as err:
        deployments._rollback_target(env(store, 2), 9)

    assert (err.value.message, err.value.fix) == (
        "shop/staging has no release v9",
        "see: launchdeck releases",
    )
    assert err.value.status == 404


# -- other checks that run before a job is queued ----------------------------------------------


def test_counts_use_the_formation_over_the_manifest_scale(
    deployments: Deployments, store: Store
) -> None:
    state = replace(env(store, 1), formation={"worker": 3})

    assert deployments.counts(state, release(1)) == {"web": 2, "worker": 3}


def test_scale_of_an_unknown_service_lists_the_known_ones(
    deployments: Deployments, store: Store
) -> None:
    store.add_release(release(1))

    with pytest.raises(Invalid) as err:
        deployments.scale(env(store, 1), {"clock": 1})

    assert (err.value.message, err.value.fix) == (
        "shop/staging has no service 'clock' (it has: web, worker)",
        "use one of: web, worker",
    )
    assert store.deployments("shop", "staging") == []


def test_scale_to_a_negative_count_is_refused(deployments: Deployments, store: Store) -> None:
    store.add_release(release(1))

    with pytest.raises(Invalid) as err:
        deployments.scale(env(store, 1), {"web": -1})

    assert (err.value.message, err.value.fix) == (
        "scale web=-1: count should be 0 or more",
        "e.g. web=2",
    )
    assert store.env("shop", "staging").formation == {}  # type: ignore[union-attr]
    assert store.deployments("shop", "staging") == []


def test_scale_and_restart_before_the_first_deploy_say_deploy_first(
    deployments: Deployments, store: Store
) -> None:
    for attempt in (
        lambda: deployments.scale(env(store, None), {"web": 1}),
        lambda: deployments.restart(env(store, None), None),
    ):
        with pytest.raises(Conflict) as err:
            attempt()
        assert (err.value.message, err.value.fix) == (
            "shop/staging has no release yet",
            "deploy first: launchdeck deploy --app shop --env staging",
        )


def test_config_before_the_first_deploy_is_saved_for_it(
    deployments: Deployments, store: Store
) -> None:
    state = replace(env(store, None), config={"OLD": "1", "GONE": "x"})
    put_env(store, state)

    assert deployments.set_config(state, {"NEW": "2", "OLD": "3"}, ["GONE"]) is None

    assert store.env("shop", "staging").config == {"OLD": "3", "NEW": "2"}  # type: ignore[union-attr]
    assert store.deployments("shop", "staging") == []


def test_a_rollback_keeps_the_add_ons_current_urls(store: Store) -> None:
    deployments = RecordingDeployments(store, None, None, workers=InlineWorkers())  # type: ignore[arg-type]
    deployments.rollouts = []
    old = replace(release(1), config={"V": "1", "DATABASE_URL": "postgres://old"},
                  secrets=frozenset({"DATABASE_URL"}))  # fmt: skip
    store.add_release(old)
    record(store, 1)
    record(store, 2)
    current = replace(
        env(store, 2),
        config={"V": "2", "DATABASE_URL": "postgres://restored"},
        secrets=frozenset({"DATABASE_URL"}),
    )
    put_env(store, current)

    deployments.rollback(current, 1)

    [(_, made)] = deployments.rollouts
    assert made.config == {"V": "1", "DATABASE_URL": "postgres://restored"}
    assert made.secrets == {"DATABASE_URL"}
