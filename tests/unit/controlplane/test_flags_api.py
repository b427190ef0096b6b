"""Feature flags through the API and the feed apps read: bad input changes nothing, the feed
answers with an ETag and holds a long poll until the set changes, a flag token reads exactly its
own environment, and what is stored survives a restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.access.secrets import Keyring
from launchdeck.controlplane.flags.service import Flags
from launchdeck.controlplane.flags.store import FlagStore
from launchdeck.controlplane.http import create_api
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane

FLAGS = "/v1/apps/shop/envs/staging/flags"


@pytest.fixture
def cp(tmp_path: Path):
    plane = FakeControlPlane(tmp_path / "home")
    plane.store.create_app("shop", ["staging", "production"], time.time())
    yield plane
    plane.store.close()


@pytest.fixture
def client(cp: FakeControlPlane) -> TestClient:
    return TestClient(create_api(cp, TOKEN))  # type: ignore[arg-type]


def feed_auth(cp: FakeControlPlane, env: str = "staging") -> dict[str, str]:
    return {"Authorization": f"Bearer {cp.flags.store.token('shop', env)}"}


def test_create_set_and_list(client: TestClient) -> None:
    made = client.post(FLAGS, json={"name": "new-checkout"}, headers=AUTH)
    assert made.status_code == 201 and made.json()["summary"] == "off"
    changed = client.patch(
        f"{FLAGS}/new-checkout",
        json={"enabled": True, "rollout": "10%", "rules": ["app_version >= latest"],
              "allow": ["user:42"]},
        headers=AUTH,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["summary"] == "on: 10% where app_version >= latest, +1 allowed"
    listing = client.get(FLAGS, headers=AUTH).json()
    assert [f["name"] for f in listing["flags"]] == ["new-checkout"]
    assert listing["version"] == 2 and listing["latest_app_version"] is None


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"rollout": "150%"}, 422,
         "rollout: should be a whole percentage from 0% to 100% (got '150%')"),
        ({"rollout": "-1"}, 422, "rollout: should be a whole percentage from 0% to 100% (got '-1')"),
        ({"rollout": "10.5%"}, 422, "(got '10.5%')"),
        ({"rules": ["ok == 1", "app_version >="]}, 422,
         "rules[1]: rule 'app_version >=': expected a value after '>=' at column 15"),
        ({"allow": ["42"]}, 422, "allow: should be `attribute:value` (got '42')"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, change: dict, status: int, error: str
) -> None:
    client.post(FLAGS, json={"name": "f"}, headers=AUTH)
    before = client.get(FLAGS, headers=AUTH).json()
    refused = client.patch(f"{FLAGS}/f", json=change, headers=AUTH)
    assert refused.status_code == status
    assert error in refused.json()["error"], refused.json()
    assert refused.json()["fix"]
    assert client.get(FLAGS, headers=AUTH).json() == before


def test_a_rule_error_shows_where(client: TestClient) -> None:
    client.post(FLAGS, json={"name": "f"}, headers=AUTH)
    error = client.patch(f"{FLAGS}/f", json={"rules": ["plan in [pro"]}, headers=AUTH).json()
    assert error["error"].splitlines() == [
        "rules[0]: rule 'plan in [pro': expected ',' or ']' after 'pro' at column 13",
        "  plan in [pro",
        "              ^",
    ]


def test_unknown_flag_and_names(client: TestClient) -> None:
    missing = client.patch(f"{FLAGS}/nope", json={"enabled": True}, headers=AUTH)
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "flag 'nope' not found in shop/staging (it has: none yet)",
        "fix": "create it: launchdeck flags create nope --app shop --env staging",
    }
    assert client.post(FLAGS, json={"name": "Bad Name"}, headers=AUTH).status_code == 422
    client.post(FLAGS, json={"name": "twice"}, headers=AUTH)
    assert client.post(FLAGS, json={"name": "twice"}, headers=AUTH).status_code == 409


def test_promotion_copies_staging_flags_to_production(client: TestClient) -> None:
    client.post(FLAGS, json={"name": "a"}, headers=AUTH)
    client.patch(f"{FLAGS}/a", json={"enabled": True, "rollout": 25}, headers=AUTH)
    client.post(FLAGS, json={"name": "b"}, headers=AUTH)
    production = "/v1/apps/shop/envs/production/flags"
    copied = client.post(f"{production}/promotions", json={"from": "staging", "names": ["a"]},
                         headers=AUTH)  # fmt: skip
    assert copied.status_code == 200, copied.text
    [flag] = client.get(production, headers=AUTH).json()["flags"]
    assert (flag["name"], flag["enabled"], flag["rollout"]) == ("a", True, 25)


def test_the_feed_answers_with_an_etag_and_holds_a_long_poll(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post(FLAGS, json={"name": "f"}, headers=AUTH)
    first = client.get("/flags/v1/set", headers=feed_auth(cp))
    assert first.status_code == 200 and first.headers["etag"] == '"1"'
    assert first.json()["flags"] == {"f": {"enabled": False, "rollout": 100, "rules": [],
                                           "allow": []}}  # fmt: skip
    same = {**feed_auth(cp), "If-None-Match": '"1"'}
    assert client.get("/flags/v1/set?wait=0.2", headers=same).status_code == 304

    def change_soon() -> None:
        time.sleep(0.3)
        client.patch(f"{FLAGS}/f", json={"enabled": True}, headers=AUTH)

    threading.Thread(target=change_soon).start()
    held = client.get("/flags/v1/set?wait=10", headers=same)
    assert held.status_code == 200 and held.json()["flags"]["f"]["enabled"] is True


def test_a_flag_token_reads_its_own_environment_only(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post(FLAGS, json={"name": "staging-only"}, headers=AUTH)
    production = client.get("/flags/v1/set", headers=feed_auth(cp, "production")).json()
    assert production["env"] == "production" and production["flags"] == {}
    assert client.get("/flags/v1/set", headers=AUTH).status_code == 401  # an API token
    assert client.get(FLAGS, headers=feed_auth(cp)).status_code == 401  # the API refuses it
    assert client.patch(f"{FLAGS}/staging-only", json={"enabled": True},
                        headers=feed_auth(cp)).status_code == 401  # fmt: skip


def test_reported_app_versions_only_move_latest_forward(
    client: TestClient, cp: FakeControlPlane
) -> None:
    report = lambda v: client.post(  # noqa: E731
        "/flags/v1/set/app-versions", json={"app_version": v}, headers=feed_auth(cp)
    )
    assert report("1.4.2").status_code == 204
    assert report("1.4.0").status_code == 204
    assert report("not a version").status_code == 422
    assert client.get(FLAGS, headers=AUTH).json()["latest_app_version"] == "1.4.2"
    report("1.10.0")
    assert client.get(FLAGS, headers=AUTH).json()["latest_app_version"] == "1.10.0"


def test_flags_tokens_and_versions_survive_a_restart(tmp_path: Path) -> None:
    store = FlagStore(tmp_path / "flags.db", Keyring(tmp_path))
    flags = Flags(store)
    flags.create("shop", "staging", "f", "", "owner")
    token = store.token("shop", "staging")
    store.close()
    again = FlagStore(tmp_path / "flags.db", Keyring(tmp_path))
    assert again.token("shop", "staging") == token
    assert again.environment_of(token) == ("shop", "staging")
    assert again.version("shop", "staging") == 1
    assert [f.name for f in again.flags("shop", "staging")] == ["f"]


def test_flag_changes_are_audited(client: TestClient) -> None:
    client.post(FLAGS, json={"name": "f"}, headers=AUTH)
    client.patch(f"{FLAGS}/f", json={"enabled": False}, headers=AUTH)
    actions = [e["action"] for e in client.get("/v1/audit", headers=AUTH).json()]
    assert f"PATCH {FLAGS}/f" in actions and f"POST {FLAGS}" in actions
