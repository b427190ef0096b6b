"""Names the API takes are checked whole: `"nl\\n"` passed `NAME_RE.match` and created
`git/nl\\n.git`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.unit.controlplane.test_api import AUTH, FakeControlPlane, leftovers, tarball
from tests.unit.controlplane.test_api import client as client
from tests.unit.controlplane.test_api import cp as cp


@pytest.mark.parametrize("name", ["nl\n", "shop\n"])
def test_an_app_name_with_a_trailing_newline_is_422_and_nothing_is_made(
    client: TestClient, cp: FakeControlPlane, name: str
) -> None:
    response = client.post("/v1/apps", json={"name": name}, headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {
        "error": f"app name {name!r} is not valid: use 1-30 lowercase letters, digits and '-', "
        "starting with a letter",
        "fix": "e.g. launchdeck apps create shop",
    }
    assert cp.store.apps() == []


def test_an_environment_name_with_a_trailing_newline_is_not_created_by_a_deploy(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    app = tarball({"Procfile": "web: serve\n", "launchdeck.toml": '[environments."qa\\n"]\n'})

    response = client.post("/v1/apps/shop/envs/qa%0A/deploys", content=app, headers=AUTH)

    assert response.status_code == 422
    where, _, problem = response.json()["error"].partition("launchdeck.toml: ")
    assert where == ""  # never where the server unpacked the upload
    assert problem == (
        "environments.\"qa\\n\": should be at most 30 lowercase letters, digits or '-', "
        "starting with a letter (got 'qa\\n'); fix: use 'qa'"
    )
    assert response.json()["fix"] == "fix the app, then deploy again"
    assert [e.name for e in cp.store.envs("shop")] == ["production", "staging"]
    assert cp.deployments.deploys == [] and leftovers(cp) == []
