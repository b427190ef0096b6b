"""`?reveal=` is read one way, in one place: only `true` or `false`, and every reveal (allowed or
refused) is in the audit log. FastAPI's bool read `yes`, `on` and `t` as true while the audit
only recorded `true` and `1`: secrets came out with no record."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.store import EnvState, StoreUnavailable
from tests.unit.controlplane.store_fixtures import put_env
from tests.unit.controlplane.test_api import AUTH, FakeControlPlane
from tests.unit.controlplane.test_api import client as client
from tests.unit.controlplane.test_api import cp as cp
from tests.unit.controlplane.test_api_roles import token

CONFIG = "/v1/apps/shop/envs/staging/config"


@pytest.fixture
def shop(client: TestClient, cp: FakeControlPlane) -> TestClient:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    put_env(
        cp.store,
        EnvState("shop", "staging", config={"API_KEY": "sk-1"}, secrets=frozenset({"API_KEY"})),
    )
    return client


def reads(cp: FakeControlPlane) -> list[tuple[str, str, int]]:
    return [(e.who, e.action, e.status) for e in cp.store.audit() if e.action.startswith("GET")]


@pytest.mark.parametrize("raw", ["yes", "on", "t", "1", "True", "TRUE", "y", ""])
def test_any_spelling_but_true_or_false_is_422_and_reveals_nothing(
    shop: TestClient, cp: FakeControlPlane, raw: str
) -> None:
    response = shop.get(CONFIG, params={"reveal": raw}, headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {
        "error": f"reveal should be true or false (got {raw!r})",
        "fix": "use ?reveal=true (admin tokens only) or leave it out",
    }
    assert "sk-1" not in response.text


def test_a_reveal_is_audited_and_a_masked_read_is_not(
    shop: TestClient, cp: FakeControlPlane
) -> None:
    revealed = shop.get(CONFIG, params={"reveal": "true"}, headers=AUTH)
    masked = shop.get(CONFIG, params={"reveal": "false"}, headers=AUTH)
    plain = shop.get(CONFIG, headers=AUTH)

    assert revealed.json()["config"] == {"API_KEY": "sk-1"}
    assert (
        masked.json() == plain.json() == {"config": {"API_KEY": "********"}, "secrets": ["API_KEY"]}
    )
    assert reads(cp) == [("owner", f"GET {CONFIG}?reveal=true", 200)]


def test_a_refused_reveal_is_audited_too(shop: TestClient, cp: FakeControlPlane) -> None:
    deployer = token(shop, "deployer", "alice")

    refused = shop.get(CONFIG, params={"reveal": "true"}, headers=deployer)

    assert refused.status_code == 403
    assert "sk-1" not in refused.text
    assert reads(cp) == [("alice", f"GET {CONFIG}?reveal=true", 403)]


def test_no_secret_leaves_when_its_reveal_cannot_be_recorded(
    shop: TestClient, cp: FakeControlPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: object) -> None:
        raise StoreUnavailable("the control plane's database is locked", "retry")

    monkeypatch.setattr(cp.store, "add_audit", locked)

    response = shop.get(CONFIG, params={"reveal": "true"}, headers=AUTH)

    assert response.status_code == 503
    assert response.json() == {"error": "the control plane's database is locked", "fix": "retry"}
    assert "sk-1" not in response.text
