"""Promote: the checks made before anything is queued, the preview, the release the queued job
records, and the two routes. A real store; builds are directories holding a manifest; the
rollout itself is recorded, not run (the e2e test runs it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from launchdeck.build import Artifact, UnknownBuild
from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.deploys.promotion import ConfigDiff, plan_promotion, promotion_json
from launchdeck.controlplane.errors import Conflict, Invalid
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import (
    BuildRef,
    Deployment,
    DeploymentKind,
    DeploymentState,
    Health,
    Instance,
    InstanceState,
    Release,
    Scale,
    ServiceSpec,
)
from tests.unit.controlplane.deployment_fakes import InlineWorkers, OpenJails, RecordingDeployments
from tests.unit.controlplane.store_fixtures import put_env
from tests.unit.controlplane.test_api import AUTH, FakeControlPlane
from tests.unit.controlplane.test_api import client as client
from tests.unit.controlplane.test_api import cp as cp

DIGEST = "sha256:" + "ab" * 32
MANIFEST = """
app = "shop"

[release]
command = "echo migrating $LAUNCHDECK_ENV"

[services.web]
command = "serve"
port = "$PORT"
scale = { count = 1 }

[services.worker]
command = "work"

[environments.production]
scale.web = { count = 3 }
"""


class Builds:
    """The build store's `get`: a finished build is a directory with the app's manifest."""

    def __init__(self, root: Path) -> None:
        self.root, self.known = root, set[str]()

    def add(self, digest: str, manifest: str = MANIFEST) -> None:
        app_dir = self.root / digest.removeprefix("sha256:")[:12]
        app_dir.mkdir(parents=True)
        (app_dir / "launchdeck.toml").write_text(manifest)
        self.known.add(digest)

    def get(self, digest: str) -> Artifact:
        if digest not in self.known:
            raise UnknownBuild(digest, self.root)
        app_dir = self.root / digest.removeprefix("sha256:")[:12]
        ref = BuildRef(digest=digest, kind="python", created_at=1.0)
        return Artifact(ref=ref, app_dir=app_dir, env={}, deps_key=None, reused_deps=False)


class HeldWorkers:
    """Keeps each queued job without running it."""

    def __init__(self) -> None:
        self.jobs: list[Callable[[], None]] = []

    def __getitem__(self, _key: tuple[str, str]) -> HeldWorkers:
        return self

    def submit(self, job: Callable[[], None]) -> None:
        self.jobs.append(job)


class EnvOnlyDriver(OpenJails):
    """The one driver call a release phase makes: the environment an instance would get."""

    def instance_env(self, inst: Instance, release: Release) -> dict[str, str]:
        return {"LAUNCHDECK_ENV": release.env}


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "launchdeck.db")
    s.create_app("shop", ["staging", "production"], now=1.0)
    yield s
    s.close()


@pytest.fixture
def builds(tmp_path: Path) -> Builds:
    b = Builds(tmp_path / "builds")
    b.add(DIGEST)
    return b


def staging_release(version: int = 3, config: dict[str, str] | None = None) -> Release:
    return Release(
        app="shop",
        env="staging",
        version=version,
        build=BuildRef(digest=DIGEST, kind="python", created_at=1.0),
        config=config if config is not None else {"GREETING": "hi", "ONLY_STAGING": "1"},
        services={"web": ServiceSpec(name="web", command="serve", port=True)},
        created_at=1.0,
        description="Deploy sha256:abababababab",
    )


def deployed(store: Store, state: DeploymentState = DeploymentState.SUCCEEDED) -> EnvState:
    """Staging runs v3 after a deployment that ended in `state`."""
    store.add_release(staging_release())
    store.add_deployment(
        Deployment(
            id=0,
            app="shop",
            env="staging",
            kind=DeploymentKind.DEPLOY,
            state=state,
            created_at=1.0,
            to_release=3,
        )
    )
    env = replace(store.env("shop", "staging"), release=3)  # type: ignore[type-var]
    put_env(store, env)
    return env


def instance(state: InstanceState, health: Health, service: str = "web") -> Instance:
    return Instance(
        id=f"{service}.v3-abc123",
        app="shop",
        env="staging",
        service=service,
        release=3,
        state=state,
        health=health,
    )


def production(store: Store, **fields: object) -> EnvState:
    env = replace(store.env("shop", "production"), **fields)  # type: ignore[type-var]
    put_env(store, env)
    return env


def conflict(store: Store, builds: Builds, source: EnvState) -> tuple[str, str]:
    with pytest.raises(Conflict) as err:
        plan_promotion(store, builds.get, source, production(store))
    assert err.value.status == 409
    return err.value.message, err.value.fix


# -- checks ----------------------------------------------------------------------------------


def test_promoting_from_an_environment_with_no_release_says_deploy_it_first(
    store: Store, builds: Builds
) -> None:
    assert conflict(store, builds, store.env("shop", "staging")) == (  # type: ignore[arg-type]
        "shop/staging has no release to promote",
        "deploy staging first: launchdeck deploy --app shop --env staging",
    )


def test_promoting_mid_rollout_is_refused(store: Store, builds: Builds) -> None:
    source = deployed(store, DeploymentState.ROLLING)

    assert conflict(store, builds, source) == (
        "shop/staging is mid-rollout (deploy #1 is rolling)",
        "wait for it to finish (launchdeck status --app shop --env staging), then promote again",
    )


def test_promoting_after_a_rolled_back_deployment_is_refused(store: Store, builds: Builds) -> None:
    source = deployed(store, DeploymentState.ROLLED_BACK)

    assert conflict(store, builds, source) == (
        "the last deployment of shop/staging did not succeed (deploy #1 rolled back)",
        "deploy a working build to staging (or launchdeck rollback --app shop --env staging), "
        "then promote",
    )


@pytest.mark.parametrize(
    ("state", "health"),
    [
        (InstanceState.RUNNING, Health.UNHEALTHY),
        (InstanceState.RUNNING, Health.UNKNOWN),
        (InstanceState.STARTING, Health.HEALTHY),
        (InstanceState.CRASHED, Health.NO_CHECK),
    ],
)
def test_promoting_while_an_instance_is_not_running_and_healthy_is_refused(
    store: Store, builds: Builds, state: InstanceState, health: Health
) -> None:
    source = deployed(store)
    store.save_instance(instance(InstanceState.RUNNING, Health.NO_CHECK, service="worker"))
    store.save_instance(instance(state, health))

    assert conflict(store, builds, source) == (
        f"shop/staging instance web.v3-abc123 is {state.value} (health: {health.value}), "
        "not running and healthy",
        "wait for it to recover (launchdeck ps --app shop --env staging), then promote again",
    )


def test_promoting_a_pruned_build_says_deploy_again(store: Store, tmp_path: Path) -> None:
    source = deployed(store)

    message, fix = conflict(store, Builds(tmp_path / "empty"), source)

    assert message.startswith(f"cannot promote staging v3: {DIGEST}: no such build in ")
    assert fix == "deploy staging again, then promote"


def test_promoting_an_environment_to_itself_is_invalid(store: Store, builds: Builds) -> None:
    source = deployed(store)

    with pytest.raises(Invalid) as err:
        plan_promotion(store, builds.get, source, source)

    assert (err.value.message, err.value.fix) == (
        "promote --from and --to are both 'staging': name two environments",
        "e.g. launchdeck promote --from staging --to production",
    )


# -- what a promotion makes ------------------------------------------------------------------


def test_the_new_release_keeps_the_build_and_takes_the_targets_config_and_overrides(
    store: Store, builds: Builds
) -> None:
    source = deployed(store)
    store.save_instance(instance(InstanceState.RUNNING, Health.HEALTHY))
    plan = plan_promotion(store, builds.get, source, production(store))

    made = plan.new_release(1, {"GREETING": "hello"}, frozenset(), now=9.0)

    assert (made.app, made.env, made.version, made.created_at) == ("shop", "production", 1, 9.0)
    assert made.build == staging_release().build
    assert made.config == {"GREETING": "hello"}
    assert made.services["web"].scale == Scale(count=3)  # [environments.production]
    assert made.services["worker"].scale == Scale(count=1)
    assert made.release_command is not None
    assert made.release_command.command == "echo migrating $LAUNCHDECK_ENV"
    assert made.description == "Promote staging v3 (sha256:abababababab)"


def test_config_diff_names_keys_added_removed_and_changed() -> None:
    diff = ConfigDiff.between({"A": "1", "B": "2", "C": "3"}, {"B": "2", "C": "x", "D": "4"})

    assert diff == ConfigDiff(added=("D",), removed=("A",), changed=("C",))


def test_the_preview_shows_releases_key_names_and_scale_but_never_values(
    store: Store, builds: Builds
) -> None:
    source = deployed(store)
    store.add_release(
        replace(staging_release(1), env="production", build=replace(staging_release().build))
    )
    target = production(
        store, release=1, config={"GREETING": "secret-hello", "ONLY_PROD": "p"}, formation={}
    )

    preview = promotion_json(plan_promotion(store, builds.get, source, target))

    assert preview == {
        "app": "shop",
        "from": "staging",
        "to": "production",
        "source": {"release": "v3", "build": DIGEST},
        "target": {"release": "v1", "build": DIGEST},
        "config": {"added": ("ONLY_PROD",), "removed": ("ONLY_STAGING",), "changed": ("GREETING",)},
        "scale": {"web": {"current": 1, "new": 3}, "worker": {"current": None, "new": 1}},
        "release_command": "echo migrating $LAUNCHDECK_ENV",
    }
    assert "secret-hello" not in json.dumps(preview) and "hi" not in json.dumps(preview)


# -- Deployments.promote ----------------------------------------------------------------------------


@pytest.fixture
def deployments(store: Store, builds: Builds) -> RecordingDeployments:
    e = RecordingDeployments(store, builds, EnvOnlyDriver(), workers=InlineWorkers())  # type: ignore[arg-type]
    e.rollouts = []
    return e


def test_promote_records_a_promoted_release_in_the_target_and_rolls_it_out(
    deployments: RecordingDeployments, store: Store
) -> None:
    target = production(store, config={"GREETING": "hello"})

    dep = deployments.promote(deployed(store), target)

    [(rolled, release)] = deployments.rollouts
    assert (dep.kind, rolled.id, rolled.env, rolled.from_release) == (
        DeploymentKind.PROMOTE,
        dep.id,
        "production",
        None,
    )
    assert store.deployment(dep.id).to_release == 1  # type: ignore[union-attr]
    assert release == store.release("shop", "production", 1)
    assert release.build.digest == DIGEST and release.config == {"GREETING": "hello"}
    events = [e.message for e in store.events(dep.id)]
    assert "release v1 created (Promote staging v3 (sha256:abababababab))" in events
    assert "migrating production" in events  # the release command ran with production's env


def test_a_failed_release_command_changes_nothing_in_the_target(
    deployments: RecordingDeployments, store: Store, builds: Builds
) -> None:
    builds.root = builds.root.parent / "failing"
    builds.known.clear()
    builds.add(DIGEST, MANIFEST.replace("echo migrating $LAUNCHDECK_ENV", "exit 3"))

    dep = deployments.promote(deployed(store), production(store))

    done = store.deployment(dep.id)
    assert done is not None and (done.state, done.reason) == (
        DeploymentState.FAILED,
        "release command exited with 3",
    )
    assert deployments.rollouts == [] and store.env("shop", "production").release is None  # type: ignore[union-attr]


def test_a_refused_promotion_queues_nothing(
    deployments: RecordingDeployments, store: Store
) -> None:
    with pytest.raises(Conflict):
        deployments.promote(store.env("shop", "staging"), production(store))  # type: ignore[arg-type]

    assert store.deployments("shop", "production") == []
    assert store.releases("shop", "production") == [] and deployments.rollouts == []


# -- the routes --------------------------------------------------------------------------------


@pytest.fixture
def api(cp: FakeControlPlane, client: TestClient, builds: Builds) -> TestClient:
    """The routes over a real deployments whose queued jobs are held, not run."""
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    cp.deployments = Deployments(cp.store, builds, None, workers=HeldWorkers())  # type: ignore[arg-type,assignment]
    return client


def test_the_preview_route_answers_what_would_change(api: TestClient, cp: FakeControlPlane) -> None:
    deployed(cp.store)

    response = api.get("/v1/apps/shop/promotion?from=staging&to=production", headers=AUTH)

    assert response.status_code == 200
    assert response.json()["source"] == {"release": "v3", "build": DIGEST}
    assert response.json()["target"] == {"release": None, "build": None}


def test_the_promotions_route_queues_a_promote_deployment(
    api: TestClient, cp: FakeControlPlane
) -> None:
    deployed(cp.store)

    response = api.post(
        "/v1/apps/shop/envs/production/promotions", json={"from": "staging"}, headers=AUTH
    )

    assert response.status_code == 202
    assert {k: response.json()[k] for k in ("env", "kind", "state")} == {
        "env": "production",
        "kind": "promote",
        "state": "pending",
    }


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        (
            "envs/production/promotions",
            {"from": "staging"},
            409,
            "shop/staging has no release to promote",
        ),
        (
            "envs/prod/promotions",
            {"from": "staging"},
            404,
            "app 'shop' has no environment 'prod' (it has: production, staging)",
        ),
        (
            "promotion?from=staging&to=qa",
            None,
            404,
            "app 'shop' has no environment 'qa' (it has: production, staging)",
        ),
        (
            "envs/staging/promotions",
            {"from": "staging"},
            422,
            "promote --from and --to are both 'staging': name two environments",
        ),
        ("envs/production/promotions", {}, 422, "invalid request: from: Field required"),
    ],
    ids=["no-release", "unknown-target", "unknown-preview-target", "same-env", "no-from"],
)
def test_refused_promotions_say_why(
    api: TestClient, path: str, body: dict[str, str] | None, status: int, error: str
) -> None:
    url = f"/v1/apps/shop/{path}"
    response = (
        api.get(url, headers=AUTH) if body is None else api.post(url, json=body, headers=AUTH)
    )

    assert (response.status_code, response.json()["error"]) == (status, error)
