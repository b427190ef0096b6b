"""A database another process holds locked (or one that fails) gives a JSON 503 with a fix,
never a plain-text 500; reads go on meanwhile; and a deployment whose job hits it still ends."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.access.redaction import Redactors
from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.deploys.journal import Journal
from launchdeck.controlplane.deploys.workers import EnvWorker
from launchdeck.controlplane.http import create_api
from launchdeck.controlplane.store import EnvState, Store, StoreUnavailable
from launchdeck.domain import Deployment, DeploymentKind, DeploymentState, EventKind, Release
from tests.unit.controlplane.deployment_fakes import InlineWorkers
from tests.unit.controlplane.store_fixtures import put_env
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane
from tests.unit.controlplane.test_deployments import release

LOCKED = (
    "the control plane's database is locked by another process (database is locked)",
    "retry in a few seconds; if it stays locked, find what holds "
    "$LAUNCHDECK_HOME/launchdeck.db open (e.g. an sqlite3 shell) and close it",
)


@contextmanager
def held(db: Path) -> Iterator[sqlite3.Connection]:
    """Another process's exclusive transaction on the database, as an sqlite3 shell holds it."""
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


def quick_store(db: Path, attempts: int = 2) -> Store:
    return Store(db, busy_timeout=0.02, write_attempts=attempts)


# -- the API -----------------------------------------------------------------------------------


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[FakeControlPlane]:
    cp = FakeControlPlane(tmp_path / "home")
    cp.store.close()
    cp.store = quick_store(cp.home / "launchdeck.db")
    yield cp
    cp.store.close()


def test_a_change_while_the_database_is_locked_is_a_json_503_with_the_fix(
    plane: FakeControlPlane,
) -> None:
    client = TestClient(create_api(plane, TOKEN))  # type: ignore[arg-type]

    with held(plane.home / "launchdeck.db"):
        response = client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
        listing = client.get("/v1/apps", headers=AUTH)  # reads go on meanwhile

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": LOCKED[0], "fix": LOCKED[1]}
    assert (listing.status_code, listing.json()) == (200, [])
    assert plane.store.apps() == []
    assert client.post("/v1/apps", json={"name": "shop"}, headers=AUTH).status_code == 201


# -- the store ----------------------------------------------------------------------------------


def test_a_write_waits_out_a_short_lock(tmp_path: Path) -> None:
    store = quick_store(tmp_path / "launchdeck.db", attempts=20)
    with held(tmp_path / "launchdeck.db") as other:
        threading.Timer(0.15, other.execute, ["ROLLBACK"]).start()

        store.set_meta("k", "v")  # busy timeout 0.02s: only the retries outlast the lock

    assert store.get_meta("k") == "v"
    store.close()


def test_a_write_gives_up_within_its_bound_and_the_store_stays_usable(tmp_path: Path) -> None:
    store = quick_store(tmp_path / "launchdeck.db", attempts=3)

    with held(tmp_path / "launchdeck.db"), pytest.raises(StoreUnavailable) as caught:
        started = time.monotonic()
        store.set_meta("k", "v")

    assert time.monotonic() - started < 2.0
    assert (caught.value.status, caught.value.message, caught.value.fix) == (503, *LOCKED)
    store.set_meta("k", "after")  # no transaction was left open
    assert store.get_meta("k") == "after"
    store.close()


def test_reads_do_not_wait_for_a_write_that_holds_the_store(tmp_path: Path) -> None:
    store = quick_store(tmp_path / "launchdeck.db")
    store.set_meta("k", "v")
    inside, release_it = threading.Event(), threading.Event()

    def long_write() -> None:
        with store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('k', 'new')")
            inside.set()
            release_it.wait(5)

    writer = threading.Thread(target=long_write)
    writer.start()
    assert inside.wait(5)
    started = time.monotonic()
    assert store.get_meta("k") == "v"  # the last committed value, at once
    assert time.monotonic() - started < 1.0
    release_it.set()
    writer.join(5)
    assert store.get_meta("k") == "new"
    store.close()


# -- a deployment whose job hits the database ------------------------------------------------------


class Clock:
    """Time stands still; a sleep runs the test's `on_sleep` (the database comes back)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.on_sleep = lambda: None

    def now(self) -> float:
        return 100.0

    def monotonic(self) -> float:
        return 100.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.on_sleep()


class LockedMidRollout(Deployments):
    """The rollout begins while another process takes the database and keeps it."""

    other: sqlite3.Connection

    def _rollout(
        self, dep: Deployment, release: Release, replace_services: frozenset[str] = frozenset()
    ) -> None:
        self.other.execute("BEGIN EXCLUSIVE")
        # raises StoreUnavailable
        self.journal.event(dep, EventKind.INSTANCE_STARTED, "web.v1-abc123 started")


def test_a_deployment_whose_job_hits_a_locked_database_ends_failed_once_it_is_back(
    tmp_path: Path,
) -> None:
    db = tmp_path / "launchdeck.db"
    store = quick_store(db)
    store.create_app("shop", ["staging"], now=1.0)
    store.add_release(release(1))
    put_env(store, EnvState("shop", "staging", release=1))
    clock = Clock()
    deployments = LockedMidRollout(store, None, None, workers=InlineWorkers(), clock=clock)  # type: ignore[arg-type]
    deployments.other = sqlite3.connect(db, isolation_level=None)
    clock.on_sleep = lambda: deployments.other.execute("ROLLBACK")  # the database comes back

    dep = deployments.restart(store.env("shop", "staging"), None)  # type: ignore[arg-type]

    done = store.deployment(dep.id)
    assert done is not None and done.state == DeploymentState.FAILED
    assert done.reason == f"{LOCKED[0]}; the deployment stopped where it was: {LOCKED[1]}"
    assert clock.sleeps == [0.5]  # one wait: the first try to record it met the lock too
    assert [e.kind for e in store.events(dep.id)] == ["started", "failed"]
    deployments.other.close()
    store.close()


def test_a_worker_survives_a_job_that_raises_even_system_exit() -> None:
    worker = EnvWorker(("shop", "staging"))
    ran = threading.Event()

    def exits() -> None:
        raise SystemExit(3)

    worker.submit(exits)
    worker.submit(ran.set)

    assert ran.wait(2.0)  # a dead thread would leave every later job queued forever


def test_a_deployment_whose_first_event_hits_a_locked_database_is_not_left_pending(
    tmp_path: Path,
) -> None:
    store = quick_store(tmp_path / "launchdeck.db")
    store.create_app("shop", ["staging"], 0.0)
    journal = Journal(store, redactors=Redactors(store))
    failing = store.add_event

    def locked_once(*args: object) -> None:
        store.add_event = failing  # type: ignore[method-assign]
        raise StoreUnavailable(*LOCKED)

    store.add_event = locked_once  # type: ignore[method-assign]
    env = store.env("shop", "staging")
    assert env is not None

    with pytest.raises(StoreUnavailable):
        journal.begin(env, DeploymentKind.DEPLOY)

    [dep] = store.deployments("shop", "staging", 10)
    assert dep.state is DeploymentState.FAILED
    assert dep.reason == "the control plane's database was busy: nothing was done; retry"
    store.close()
