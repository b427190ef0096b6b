"""`domains add|remove`: hostnames are checked, one domain belongs to one environment, and the
router is told at once when no deployment holds the environment."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from launchdeck.controlplane.domains import add_domain, remove_domain
from launchdeck.controlplane.errors import Conflict, Invalid, NotFound
from launchdeck.controlplane.store import EnvState, Store
from tests.unit.controlplane.store_fixtures import put_env


class Worker:
    def __init__(self) -> None:
        self.lock = threading.Lock()


class RoutingDeployments:
    """What the domain use cases need of Deployments: the store, the workers' locks, and a
    record of the backends it was asked to update."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.workers: dict[tuple[str, str], Worker] = {}
        self.routed: list[tuple[str, ...]] = []

    def ensure_backends(self, env: EnvState, release: object) -> None:
        self.routed.append(env.domains)

    def release_of(self, env: EnvState, version: int) -> object:
        return object()


@pytest.fixture
def deployments(tmp_path: Path):
    store = Store(tmp_path / "launchdeck.db")
    store.create_app("shop", ["staging", "production"], now=1.0)
    e = RoutingDeployments(store)
    e.workers = {("shop", "staging"): Worker(), ("shop", "production"): Worker()}
    yield e
    store.close()


def env(deployments: RoutingDeployments, name: str) -> EnvState:
    state = deployments.store.env("shop", name)
    assert state is not None
    return state


def test_a_domain_is_normalised_stored_and_routed(deployments: RoutingDeployments) -> None:
    put_env(deployments.store, EnvState("shop", "staging", release=1))

    add_domain(deployments, env(deployments, "staging"), "API.Shop.test.")  # type: ignore[arg-type]

    assert env(deployments, "staging").domains == ("api.shop.test",)
    assert deployments.routed == [("api.shop.test",)]


def test_bad_taken_and_unknown_domains_are_refused_and_change_nothing(
    deployments: RoutingDeployments,
) -> None:
    add_domain(deployments, env(deployments, "production"), "shop.test")  # type: ignore[arg-type]

    with pytest.raises(Invalid, match="domain 'not a host' is not a hostname"):
        add_domain(deployments, env(deployments, "staging"), "not a host")  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="already routes to shop/production"):
        add_domain(deployments, env(deployments, "staging"), "shop.test")  # type: ignore[arg-type]
    with pytest.raises(NotFound, match=r"shop/staging has no domain 'other\.test'"):
        remove_domain(deployments, env(deployments, "staging"), "other.test")  # type: ignore[arg-type]
    assert env(deployments, "staging").domains == ()
