"""The executor's ledger writes events through the journal: what a rollout records (a failed
gate's reason, a repair's events in the server log) has its secret values blanked out like every
other event. The real deployments, store and executor run against an in-memory driver."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.deploys.ledger import StoreLedger
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import (
    BuildRef,
    DeploymentState,
    EventKind,
    HealthCheck,
    Instance,
    Release,
    ServiceSpec,
)
from tests.clock import ManualClock
from tests.unit.controlplane.deployment_fakes import InlineWorkers
from tests.unit.controlplane.store_fixtures import put_env
from tests.unit.controlplane.test_reconciler import InMemoryDriver

SECRET = "tok-5ecret-v4lue"
CONFIG = {"HEALTH_KEY": SECRET, "GREETING": "hello"}
WEB = ServiceSpec(
    name="web",
    command="serve",
    port=True,
    # a health path that carries the token: the app reads it from its config
    health=HealthCheck(path=f"/health?key={SECRET}", interval=0.5, grace=2.0),
)


class FailingDriver(InMemoryDriver):
    """New instances never pass their health check; their last log line names the secret."""

    def log_tail(self, inst: Instance, lines: int = 10) -> str:
        return f"refusing key {SECRET}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "launchdeck.db")
    s.create_app("shop", ["staging"], now=1.0)
    s.add_release(
        Release(
            app="shop",
            env="staging",
            version=1,
            build=BuildRef(digest="sha256:" + "0" * 64, kind="python", created_at=1.0),
            config=CONFIG,
            secrets=frozenset({"HEALTH_KEY"}),
            services={"web": WEB},
            created_at=1.0,
        )
    )
    put_env(
        s,
        EnvState("shop", "staging", release=1, config=CONFIG, secrets=frozenset({"HEALTH_KEY"})),
    )
    yield s
    s.close()


@pytest.fixture
def deployments(store: Store) -> Deployments:
    clock = ManualClock(min_sleep=0.001)
    driver = FailingDriver(clock)
    driver.healthy = False
    return Deployments(store, None, driver, workers=InlineWorkers(), clock=clock)  # type: ignore[arg-type]


def test_the_events_a_rolled_back_rollout_records_hold_no_secret_value(
    deployments: Deployments, store: Store
) -> None:
    dep = deployments.restart(store.env("shop", "staging"), None)  # type: ignore[arg-type]

    done = store.deployment(dep.id)
    assert done is not None and done.state == DeploymentState.ROLLED_BACK
    events = store.events(dep.id)
    [gate_failed] = [e for e in events if e.kind == EventKind.GATE_FAILED]  # the executor's
    assert gate_failed.message.endswith(
        "did not pass its health check (GET /health?key=[REDACTED:HEALTH_KEY]) "
        "within the 2s grace period"
    )
    assert [e.message for e in events if SECRET in e.message] == []
    assert SECRET not in done.reason
    assert done.reason.endswith("last log lines:\nrefusing key [REDACTED:HEALTH_KEY]")


def test_a_repair_s_events_go_to_the_server_log_redacted(
    deployments: Deployments, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = StoreLedger(deployments.journal, "shop", "staging")  # a repair: no deployment

    with caplog.at_level(logging.INFO, "launchdeck.reconciler"):
        ledger.event(EventKind.INSTANCE_STARTED, f"web.v1-aaaaaa started with {SECRET}")

    assert caplog.messages == [
        "shop/staging: instance_started: web.v1-aaaaaa started with [REDACTED:HEALTH_KEY]"
    ]
    assert store.deployments("shop", "staging", 10) == []
