"""The owner token is held in one place; `POST /v1/tokens/owner` replaces it and api.json."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.access.owner import Credentials, OwnerToken
from launchdeck.controlplane.daemon import load_or_create_token
from launchdeck.controlplane.http import create_api
from tests.unit.controlplane.test_api import FakeControlPlane

OLD = "owner-token-before"
URL = "http://127.0.0.1:7070"
UNAUTHORIZED = {
    "error": "missing or wrong API token",
    "fix": "check LAUNCHDECK_TOKEN or $LAUNCHDECK_HOME/api.json",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[FakeControlPlane]:
    cp = FakeControlPlane(tmp_path / "home")
    yield cp
    cp.store.close()


@pytest.fixture
def owner(plane: FakeControlPlane) -> OwnerToken:
    credentials = Credentials(plane.home / "api.json", URL)
    credentials.write(OLD)
    return OwnerToken(OLD, credentials)


@pytest.fixture
def client(plane: FakeControlPlane, owner: OwnerToken) -> TestClient:
    return TestClient(create_api(plane, owner))  # type: ignore[arg-type]


def test_rotation_replaces_the_owner_token_and_api_json(
    client: TestClient, plane: FakeControlPlane
) -> None:
    api_json = plane.home / "api.json"

    answer = client.post("/v1/tokens/owner", headers=bearer(OLD))

    assert answer.status_code == 200
    new = answer.json()["token"]
    assert answer.json() == {"token": new, "role": "admin", "credentials": str(api_json)}
    assert new.startswith("ldt_") and new != OLD
    assert client.get("/v1/apps", headers=bearer(new)).status_code == 200
    refused = client.get("/v1/apps", headers=bearer(OLD))
    assert (refused.status_code, refused.json()) == (401, UNAUTHORIZED)

    written = json.loads(api_json.read_text())
    assert (written["url"], written["token"]) == (URL, new)
    assert stat.S_IMODE(api_json.stat().st_mode) == 0o600
    assert [p.name for p in plane.home.iterdir() if p.name.startswith(".api.json")] == []
    assert load_or_create_token(api_json) == new  # what a restarted daemon serves


def test_rotation_is_audited_without_the_token(client: TestClient, plane: FakeControlPlane) -> None:
    new = client.post("/v1/tokens/owner", headers=bearer(OLD)).json()["token"]

    [entry] = plane.store.audit(10)
    assert (entry.who, entry.role, entry.action, entry.status) == (
        "owner",
        "admin",
        "POST /v1/tokens/owner",
        200,
    )
    assert new not in repr(plane.store.audit(10))


def made_token(client: TestClient, role: str, name: str) -> dict[str, str]:
    answer = client.post("/v1/tokens", json={"role": role, "name": name}, headers=bearer(OLD))
    return bearer(answer.json()["token"])


def test_another_admin_may_rotate_but_a_deployer_may_not(
    client: TestClient, owner: OwnerToken
) -> None:
    deployer, admin = made_token(client, "deployer", "alice"), made_token(client, "admin", "ops")

    refused = client.post("/v1/tokens/owner", headers=deployer)

    assert refused.status_code == 403
    assert refused.json() == {
        "error": "alice (role deployer) may not manage tokens",
        "fix": "ask an admin, or use a token with a role that may "
        "(launchdeck tokens create --role ...)",
    }
    assert owner.matches(OLD)
    assert client.post("/v1/tokens/owner", headers=admin).status_code == 200
    assert not owner.matches(OLD)
    assert client.get("/v1/apps", headers=admin).status_code == 200  # other tokens keep working


def test_a_failed_write_keeps_the_old_token(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    owner = OwnerToken(OLD, Credentials(blocked / "api.json", URL))

    with pytest.raises(OSError):
        owner.rotate()

    assert owner.matches(OLD)


def test_a_plain_string_is_a_fixed_owner_token() -> None:
    owner = OwnerToken.of("fixed")

    assert owner.matches("fixed") and not owner.matches("") and not owner.matches("fixe")
    assert OwnerToken.of(owner) is owner
    rotated = owner.rotate()  # nowhere to write: only in memory
    assert owner.matches(rotated) and not owner.matches("fixed")
