"""Generated hostnames are reserved: `domains add shop-production.localhost` on staging routed
production's address to staging. Every `<app>-<env>.localhost` and `<app>-<env>-<service>.localhost`
of an existing environment is its own; other names under .localhost are launchdeck's to give;
a manifest's `domains` follow the same rules, checked at deploy before anything changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.domains import add_domain
from launchdeck.controlplane.errors import Conflict, Invalid
from launchdeck.controlplane.http import create_api
from launchdeck.controlplane.store import EnvState, Store
from tests.unit.controlplane.store_fixtures import put_env
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane, leftovers, tarball
from tests.unit.controlplane.test_api import cp as cp
from tests.unit.controlplane.test_deployments import release
from tests.unit.controlplane.test_domains import RoutingDeployments, Worker

RESERVED = (
    "domain 'shop-production.localhost' is reserved: it is the generated hostname of "
    "app shop, environment production"
)
RESERVED_FIX = (
    "use a domain of your own, e.g. 'api.example.com' (launchdeck url --app shop --env staging "
    "prints this environment's own address)"
)
LOCALHOST = (
    "domain 'other.localhost' is under .localhost, where launchdeck names environments itself "
    "(<app>-<env>.localhost)"
)


def running(store: Store, app: str, env: str) -> EnvState:
    """`app`/`env` runs v1, whose services are web and worker."""
    store.add_release(replace(release(1), app=app, env=env))
    state = EnvState(app, env, release=1)
    put_env(store, state)
    return state


@pytest.fixture
def deployments(tmp_path: Path):
    store = Store(tmp_path / "launchdeck.db")
    store.create_app("shop", ["staging", "production"], now=1.0)
    running(store, "shop", "production")
    e = RoutingDeployments(store)
    e.workers = {("shop", "staging"): Worker(), ("shop", "production"): Worker()}
    yield e
    store.close()


def staging(deployments: RoutingDeployments) -> EnvState:
    state = deployments.store.env("shop", "staging")
    assert state is not None
    return state


# -- domains add ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["shop-production.localhost", "Shop-Production.localhost.", "shop-production-worker.localhost"],
)
def test_another_environment_s_generated_hostname_is_a_409_naming_it(
    deployments: RoutingDeployments, host: str
) -> None:
    with pytest.raises(Conflict) as caught:
        add_domain(deployments, staging(deployments), host)  # type: ignore[arg-type]

    normalised = host.lower().rstrip(".")
    assert caught.value.message == RESERVED.replace("shop-production.localhost", normalised)
    assert caught.value.fix == RESERVED_FIX
    assert staging(deployments).domains == () and deployments.routed == []


def test_another_app_cannot_claim_it_either(deployments: RoutingDeployments) -> None:
    deployments.store.create_app("blog", ["staging"], now=2.0)

    with pytest.raises(Conflict, match="generated hostname of app shop, environment production"):
        add_domain(
            deployments, deployments.store.env("blog", "staging"), "shop-production.localhost"
        )  # type: ignore[arg-type]


def test_a_name_under_localhost_that_launchdeck_did_not_generate_is_422(
    deployments: RoutingDeployments,
) -> None:
    with pytest.raises(Invalid) as caught:
        add_domain(deployments, staging(deployments), "other.localhost")  # type: ignore[arg-type]

    assert (caught.value.message, caught.value.fix) == (
        LOCALHOST,
        "use a real domain, e.g. 'api.example.com'",
    )
    assert staging(deployments).domains == ()


def test_an_environment_s_own_generated_hostname_is_already_its_own(
    deployments: RoutingDeployments,
) -> None:
    add_domain(deployments, staging(deployments), "shop-staging.localhost")  # type: ignore[arg-type]

    assert staging(deployments).domains == ()  # nothing to add: it routes there already


def test_domains_add_over_http_is_a_json_409(cp: FakeControlPlane) -> None:
    cp.store.create_app("shop", ["staging", "production"], now=1.0)
    cp.deployments = RoutingDeployments(cp.store)  # type: ignore[assignment]
    client = TestClient(create_api(cp, TOKEN))  # type: ignore[arg-type]

    response = client.post(
        "/v1/apps/shop/envs/staging/domains",
        json={"domain": "shop-production.localhost"},
        headers=AUTH,
    )

    assert response.status_code == 409
    assert response.json() == {"error": RESERVED, "fix": RESERVED_FIX}


# -- a manifest's domains, at deploy --------------------------------------------------------------


def app_with(toml: str) -> bytes:
    return tarball({"Procfile": "web: serve\n", "launchdeck.toml": toml})


@pytest.fixture
def client(cp: FakeControlPlane) -> TestClient:
    cp.store.create_app("shop", ["staging", "production"], now=1.0)
    running(cp.store, "shop", "production")
    return TestClient(create_api(cp, TOKEN))  # type: ignore[arg-type]


def test_a_manifest_claiming_a_generated_hostname_fails_the_deploy_with_the_field(
    client: TestClient, cp: FakeControlPlane
) -> None:
    toml = '[environments.staging]\ndomains = ["shop.example.com", "shop-production.localhost"]\n'

    response = client.post(
        "/v1/apps/shop/envs/staging/deploys", content=app_with(toml), headers=AUTH
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": f"launchdeck.toml: environments.staging.domains.1: {RESERVED}",
        "fix": RESERVED_FIX,
    }
    assert cp.deployments.deploys == [] and leftovers(cp) == []


def test_a_manifest_naming_another_localhost_name_fails_the_deploy_with_the_field(
    client: TestClient, cp: FakeControlPlane
) -> None:
    toml = '[environments.qa]\ndomains = ["other.localhost"]\n'

    response = client.post("/v1/apps/shop/envs/qa/deploys", content=app_with(toml), headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {
        "error": f"launchdeck.toml: environments.qa.domains.0: {LOCALHOST}",
        "fix": "use a real domain, e.g. 'api.example.com'",
    }
    assert cp.deployments.deploys == []
    assert cp.store.env("shop", "qa") is None  # the declared environment was not made


def test_a_manifest_with_domains_of_its_own_deploys(
    client: TestClient, cp: FakeControlPlane
) -> None:
    toml = '[environments.staging]\ndomains = ["shop.example.com", "shop-staging.localhost"]\n'

    response = client.post(
        "/v1/apps/shop/envs/staging/deploys", content=app_with(toml), headers=AUTH
    )

    assert response.status_code == 202
    assert [call.env.name for call in cp.deployments.deploys] == ["staging"]


def test_a_deploy_whose_own_generated_hostname_is_another_s_is_a_409(
    client: TestClient, cp: FakeControlPlane
) -> None:
    # shop-production + worker and shop + production's worker share shop-production-worker.localhost
    client.post("/v1/apps", json={"name": "shop-production"}, headers=AUTH)
    toml = "[environments.worker]\n"

    response = client.post(
        "/v1/apps/shop-production/envs/worker/deploys", content=app_with(toml), headers=AUTH
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": "app shop-production, environment worker would answer at "
        "'shop-production-worker.localhost', which is already the generated hostname of "
        "app shop, environment production",
        "fix": "pick app, environment and service names whose generated hostnames differ",
    }
    assert cp.store.env("shop-production", "worker") is None
    assert cp.deployments.deploys == []


def test_an_app_whose_generated_hostnames_are_taken_is_not_created(
    client: TestClient, cp: FakeControlPlane
) -> None:
    put_env(cp.store, EnvState("shop", "prod-staging"))

    response = client.post("/v1/apps", json={"name": "shop-prod"}, headers=AUTH)

    assert response.status_code == 409
    assert response.json()["error"] == (
        "app shop-prod, environment staging would answer at 'shop-prod-staging.localhost', "
        "which is already the generated hostname of app shop, environment prod-staging"
    )
    assert not cp.store.app_exists("shop-prod")
