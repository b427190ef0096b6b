"""Tokens carry a role; the API lets each role do what it may, and audits every attempt."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.controlplane.test_api import AUTH, tarball
from tests.unit.controlplane.test_api import client as client
from tests.unit.controlplane.test_api import cp as cp

APP = tarball({"Procfile": "web: serve\n"})


def token(client: TestClient, role: str, name: str) -> dict[str, str]:
    response = client.post("/v1/tokens", json={"role": role, "name": name}, headers=AUTH)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def deploy(client: TestClient, env: str, headers: dict[str, str]) -> int:
    return client.post(
        f"/v1/apps/shop/envs/{env}/deploys", content=APP, headers=headers
    ).status_code


def test_a_viewer_reads_but_cannot_deploy(client: TestClient) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    viewer = token(client, "viewer", "dashboard")

    assert client.get("/v1/apps", headers=viewer).status_code == 200
    response = client.post("/v1/apps/shop/envs/staging/deploys", content=APP, headers=viewer)
    assert response.status_code == 403
    assert response.json()["error"] == (
        "dashboard (role viewer) may not change an environment on 'staging'"
    )


def test_a_deployer_deploys_staging_but_not_production_and_manages_no_tokens(
    client: TestClient,
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    deployer = token(client, "deployer", "alice")

    assert deploy(client, "staging", deployer) == 202
    refused = client.post("/v1/apps/shop/envs/production/deploys", content=APP, headers=deployer)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "alice (role deployer) cannot change 'production' directly",
        "fix": "deploy to staging, then: launchdeck promote --from staging --to production",
    }
    assert client.get("/v1/tokens", headers=deployer).status_code == 403
    assert (
        client.delete("/v1/apps/shop", params={"confirm": "shop"}, headers=deployer).status_code
        == 403
    )


def test_an_admin_token_deploys_production(client: TestClient) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    admin = token(client, "admin", "ops")
    assert deploy(client, "production", admin) == 202


def test_every_attempt_is_audited_with_who_what_and_the_result(client: TestClient) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    viewer = token(client, "viewer", "dashboard")
    deployer = token(client, "deployer", "alice")
    deploy(client, "staging", viewer)
    deploy(client, "production", deployer)
    deploy(client, "staging", deployer)
    deploy(client, "staging", {"Authorization": "Bearer nope"})

    entries = client.get("/v1/audit", headers=AUTH).json()
    seen = [(e["who"], e["role"], e["action"], e["status"]) for e in reversed(entries)]
    assert seen == [
        ("owner", "admin", "POST /v1/apps", 201),
        ("owner", "admin", "POST /v1/tokens", 201),
        ("owner", "admin", "POST /v1/tokens", 201),
        ("dashboard", "viewer", "POST /v1/apps/shop/envs/staging/deploys", 403),
        ("alice", "deployer", "POST /v1/apps/shop/envs/production/deploys", 403),
        ("alice", "deployer", "POST /v1/apps/shop/envs/staging/deploys", 202),
        ("unknown", "-", "POST /v1/apps/shop/envs/staging/deploys", 401),
    ]
    assert all(e["at"] > 0 for e in entries)


def test_a_revoked_token_is_refused_and_tokens_are_listed_without_secrets(
    client: TestClient,
) -> None:
    created = client.post("/v1/tokens", json={"role": "viewer"}, headers=AUTH).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/v1/apps", headers=headers).status_code == 200

    listed = client.get("/v1/tokens", headers=AUTH).json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and created["token"] not in str(listed)

    assert client.delete(f"/v1/tokens/{created['id']}", headers=AUTH).status_code == 200
    assert client.get("/v1/apps", headers=headers).status_code == 401
    assert client.delete(f"/v1/tokens/{created['id']}", headers=AUTH).status_code == 404


def test_a_bad_role_or_name_is_422(client: TestClient) -> None:
    assert client.post("/v1/tokens", json={"role": "root"}, headers=AUTH).status_code == 422
    bad = client.post("/v1/tokens", json={"role": "viewer", "name": "a b"}, headers=AUTH)
    assert bad.status_code == 422 and "token name 'a b' is not valid" in bad.json()["error"]


def test_only_an_admin_reveals_secrets(client: TestClient) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    path = "/v1/apps/shop/envs/staging/config"
    reveal = {"reveal": "true"}

    for role in ("viewer", "deployer"):
        refused = client.get(path, params=reveal, headers=token(client, role, f"{role}-1"))
        assert refused.status_code == 403
        assert (
            refused.json()["error"] == f"{role}-1 (role {role}) may not reveal secrets on 'staging'"
        )
    admin = token(client, "admin", "ops")
    assert client.get(path, params=reveal, headers=admin).status_code == 200
    assert client.get(path, headers=token(client, "viewer", "v2")).status_code == 200
