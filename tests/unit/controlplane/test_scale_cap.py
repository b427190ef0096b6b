"""`scale` has a per-service cap, the server's `LAUNCHDECK_MAX_SCALE` (default 64): counts are
0..cap, from `launchdeck scale` and from a manifest's scale at deploy alike."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.http import create_api
from launchdeck.controlplane.settings import Settings, SettingsError
from launchdeck.controlplane.store import EnvState
from tests.unit.controlplane.deployment_fakes import InlineWorkers, RecordingDeployments
from tests.unit.controlplane.store_fixtures import put_env
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane, leftovers, tarball
from tests.unit.controlplane.test_api import client as client
from tests.unit.controlplane.test_api import cp as cp
from tests.unit.controlplane.test_deployments import release

SCALE = "/v1/apps/shop/envs/staging/scale"


@pytest.fixture
def running(cp: FakeControlPlane) -> TestClient:
    """shop/staging runs v1 (web and worker); rollouts are recorded, not started."""
    cp.store.create_app("shop", ["staging", "production"], 1.0)
    cp.store.add_release(release(1))
    put_env(cp.store, EnvState("shop", "staging", release=1))
    deployments = RecordingDeployments(cp.store, None, None, workers=InlineWorkers())  # type: ignore[arg-type]
    deployments.rollouts = []
    cp.deployments = deployments  # type: ignore[assignment]
    return TestClient(create_api(cp, TOKEN))  # type: ignore[arg-type]


def formation(cp: FakeControlPlane) -> dict[str, int]:
    env = cp.store.env("shop", "staging")
    assert env is not None
    return env.formation


def test_scale_above_the_cap_is_422_naming_service_value_cap_and_fix(
    running: TestClient, cp: FakeControlPlane
) -> None:
    response = running.post(SCALE, json={"counts": {"web": 100000}}, headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {
        "error": "scale web=100000: this server runs at most 64 instances per service",
        "fix": "use web=64 or less, or raise the cap: set LAUNCHDECK_MAX_SCALE on the server "
        "and restart it",
    }
    assert formation(cp) == {}
    assert cp.store.deployments("shop", "staging") == []


def test_scale_up_to_the_cap_and_down_to_zero_is_accepted(
    running: TestClient, cp: FakeControlPlane
) -> None:
    assert running.post(SCALE, json={"counts": {"web": 64}}, headers=AUTH).status_code == 202
    assert running.post(SCALE, json={"counts": {"worker": 0}}, headers=AUTH).status_code == 202

    assert formation(cp) == {"web": 64, "worker": 0}


def test_the_cap_is_the_server_setting_and_below_zero_is_still_refused(
    running: TestClient, cp: FakeControlPlane
) -> None:
    cp.settings = replace(cp.settings, max_scale=3)

    over = running.post(SCALE, json={"counts": {"worker": 4}}, headers=AUTH)
    under = running.post(SCALE, json={"counts": {"web": -1}}, headers=AUTH)

    assert (
        over.json()["error"] == "scale worker=4: this server runs at most 3 instances per service"
    )
    assert under.json() == {"error": "scale web=-1: count should be 0 or more", "fix": "e.g. web=2"}
    assert (over.status_code, under.status_code) == (422, 422)


def test_a_manifest_scaling_above_the_cap_fails_the_deploy_before_anything_changes(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    toml = (
        '[services.web]\ncommand = "serve"\nport = "$PORT"\nscale = { count = 2, max = 500 }\n'
        "[environments.qa]\nscale.web = { count = 100, max = 500 }\n"
    )
    app = tarball({"launchdeck.toml": toml})

    response = client.post("/v1/apps/shop/envs/qa/deploys", content=app, headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {
        "error": "\n".join(
            [
                "launchdeck.toml: services.web.scale.max: should be at most 64: this server runs "
                "at most 64 instances per service (got 500); fix: use max = 64 or less, or ask an "
                "admin to raise LAUNCHDECK_MAX_SCALE on the server",
                "launchdeck.toml: environments.qa.scale.web.count: should be at most 64: this "
                "server runs at most 64 instances per service (got 100); fix: use count = 64 or "
                "less, or ask an admin to raise LAUNCHDECK_MAX_SCALE on the server",
            ]
        ),
        "fix": "lower the scale in launchdeck.toml",
    }
    assert cp.deployments.deploys == [] and leftovers(cp) == []
    assert cp.store.env("shop", "qa") is None  # the declared environment was not made


# -- the setting ------------------------------------------------------------------------------


def test_the_cap_defaults_to_64_and_is_read_from_the_environment(tmp_path: Path) -> None:
    home = {"LAUNCHDECK_HOME": str(tmp_path)}

    assert Settings.from_environ(home).max_scale == 64
    assert Settings.from_environ({**home, "LAUNCHDECK_MAX_SCALE": ""}).max_scale == 64
    assert Settings.from_environ({**home, "LAUNCHDECK_MAX_SCALE": "200"}).max_scale == 200


@pytest.mark.parametrize("raw", ["0", "-1", "ten", "6.5", " 8", "\u0668"])
def test_a_bad_cap_says_the_variable_and_what_it_got(tmp_path: Path, raw: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_environ({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_MAX_SCALE": raw})

    assert str(err.value) == (
        f"LAUNCHDECK_MAX_SCALE: should be a whole number of instances, 1 or more (got {raw!r})"
    )
