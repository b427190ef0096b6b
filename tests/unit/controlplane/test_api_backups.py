"""The database routes: who may reach which environment's database, how bad restore requests
are refused before anything runs, and how add-on errors reach the client."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.databases.restores import Restores
from launchdeck.controlplane.http import create_api
from launchdeck.controlplane.store import EnvState
from launchdeck.drivers.local.addon_errors import RestoreTargetOutOfRange
from launchdeck.system.addon_errors import UnknownBackup
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane
from tests.unit.controlplane.test_api_roles import token


@dataclass
class RecordingBackups:
    """Answers every backup call with what the test put in `answer` (or raises it)."""

    answer: Any = field(default_factory=lambda: {"backups": [], "window": None})
    calls: list[str] = field(default_factory=list)

    def _give(self, call: str) -> Any:
        self.calls.append(call)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def listing(self, env: EnvState) -> Any:
        return self._give(f"list {env.name}")

    def take(self, env: EnvState) -> Any:
        return self._give(f"take {env.name}")

    def verify(self, env: EnvState, backup_id: str) -> Any:
        return self._give(f"verify {env.name} {backup_id}")


class NoAddons:
    """Restores must refuse before they reach the add-on host."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the add-on host was used ({name})")


@dataclass
class FakeDatabases:
    backups: RecordingBackups
    restores: Restores


@pytest.fixture
def client(tmp_path: Path):
    plane = FakeControlPlane(tmp_path / "home")
    backups = RecordingBackups()
    plane.databases = FakeDatabases(backups, Restores(plane.store, None, NoAddons(), backups))  # type: ignore[attr-defined, arg-type]
    plane.store.create_app("shop", ["staging", "production"], 1.0)
    yield TestClient(create_api(plane, TOKEN)), backups  # type: ignore[arg-type]
    plane.store.close()


def test_production_s_database_is_for_admins_and_the_others_for_deployers(client) -> None:
    api, backups = client
    viewer, deployer = token(api, "viewer", "dash"), token(api, "deployer", "alice")
    path = "/v1/apps/shop/envs/{}/db/backups"

    assert api.get(path.format("staging"), headers=deployer).status_code == 200
    assert api.get(path.format("production"), headers=AUTH).status_code == 200
    refused = api.get(path.format("production"), headers=deployer)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "alice (role deployer) may not reach production's database",
        "fix": "use an admin token (launchdeck tokens create --role admin)",
    }
    assert api.get(path.format("staging"), headers=viewer).json() == {
        "error": "dash (role viewer) may not reach staging's database",
        "fix": "use a deployer or admin token (launchdeck tokens create --role deployer)",
    }
    assert api.post(path.format("production"), headers=deployer).status_code == 403
    assert backups.calls == ["list staging", "list production"]


def test_pulling_from_production_and_pruning_need_an_admin(client) -> None:
    api, _ = client
    deployer = token(api, "deployer", "alice")
    pull = api.post("/v1/apps/shop/envs/staging/db/pulls", json={"from": "production"},
                    headers=deployer)  # fmt: skip
    assert pull.status_code == 403 and "production's database" in pull.json()["error"]
    assert api.get("/v1/db/prune", headers=deployer).status_code == 403
    assert api.post("/v1/db/prune", headers=deployer).json()["error"] == (
        "alice (role deployer) may not prune databases"
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "give either --to TIME or --backup ID"),
        (
            {"to": "2026-11-22T10:15:00Z", "backup": "b1"},
            "give either --to TIME or --backup ID, not both",
        ),
        (
            {"to": "last tuesday"},
            "--to 'last tuesday' is not a time: use ISO 8601 with a timezone, e.g. 2026-11-22T10:15:00Z",
        ),
    ],
    ids=["neither", "both", "unparsable"],
)
def test_a_bad_restore_request_is_refused_before_anything_runs(client, body, error) -> None:
    api, backups = client
    response = api.post("/v1/apps/shop/envs/staging/db/restores", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["error"] == error
    assert backups.calls == []


def test_add_on_errors_keep_their_message_and_fix(client) -> None:
    api, backups = client
    backups.answer = UnknownBackup("nope", ["b1", "b2"])
    missing = api.post("/v1/apps/shop/envs/staging/db/backups/nope/verify", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "no backup 'nope'; known backups (oldest first): b1, b2",
        "fix": "pick one from `launchdeck db backups`",
    }
    backups.answer = RestoreTargetOutOfRange(
        "2020-01-01T00:00:00Z", "it is before the oldest backup", "2026-11-22T10:00:00Z",
        "2026-11-23T08:00:00Z",
    )  # fmt: skip
    out = api.get("/v1/apps/shop/envs/staging/db/backups", headers=AUTH)
    assert out.status_code == 422 and out.json()["fix"] == "pick a time inside that window"
