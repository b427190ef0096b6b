"""/docs, /redoc and /openapi.json answer without a token, so they are off unless the server is
started with LAUNCHDECK_API_DOCS=1 (they show the API's shape, never data)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.http import INVALID_REQUEST_FIX, create_api
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane
from tests.unit.controlplane.test_api import client as client
from tests.unit.controlplane.test_api import cp as cp

DOCS = ["/docs", "/redoc", "/openapi.json"]


@pytest.mark.parametrize("path", DOCS)
@pytest.mark.parametrize("headers", [{}, AUTH], ids=["no-token", "token"])
def test_the_api_docs_are_off_by_default(client: TestClient, path: str, headers: dict) -> None:
    assert client.get(path, headers=headers).status_code == 404


def test_the_api_docs_are_served_when_the_setting_is_on(cp: FakeControlPlane) -> None:
    cp.settings = replace(cp.settings, api_docs=True)
    client = TestClient(create_api(cp, TOKEN))  # type: ignore[arg-type]

    shape = client.get("/openapi.json")

    assert shape.status_code == 200
    assert "/v1/apps/{name}/envs/{env}/config" in shape.json()["paths"]
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200
    assert client.get("/v1/apps").status_code == 401  # the data still needs a token


def test_an_invalid_request_points_at_the_docs_setting(client: TestClient) -> None:
    response = client.post("/v1/apps", json={}, headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid request: name: Field required",
        "fix": INVALID_REQUEST_FIX,
    }
    assert INVALID_REQUEST_FIX == (
        "check the request's fields against the API's shape (served at /docs when the server "
        "runs with LAUNCHDECK_API_DOCS=1)"
    )
