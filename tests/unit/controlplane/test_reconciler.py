"""The reconcile loop around the planner: what it reads, what it runs, what it leaves alone, and
that every failure it survives leaves a line in the log. The real deployments, store and executor run
against an in-memory driver on a manual clock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.reconciler import Reconciler
from launchdeck.controlplane.store import Store
from launchdeck.domain import (
    BuildRef,
    HealthCheck,
    Instance,
    InstanceState,
    Release,
    Scale,
    ServiceSpec,
)
from tests.clock import ManualClock

RUNNING = InstanceState.RUNNING
WEB = ServiceSpec(
    name="web",
    command="serve",
    port=True,
    health=HealthCheck(path="/health", interval=1.0, unhealthy=3),
)
WORKER = ServiceSpec(name="worker", command="work", scale=Scale(count=1))


class FakeRouter:
    def __init__(self) -> None:
        self.running = True
        self.restarts = 0
        self.broken: Exception | None = None

    def is_running(self) -> bool:
        return self.running

    def ensure_running(self) -> bool:
        if self.broken is not None:
            raise self.broken
        started, self.running = not self.running, True
        self.restarts += started
        return started


class InMemoryDriver:
    """Processes are ids in `procs`; `kill` ends one. The router is a set of servers per
    backend; `down` holds the servers its health checks report DOWN."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.router = FakeRouter()
        self.procs: set[str] = set()
        self.pidfiles: dict[str, int] = {}  # what `adopt` finds
        self.servers: dict[tuple[str, str, str], set[str]] = {}
        self.down: set[str] = set()
        self.healthy = True  # what new instances answer to probes
        self.fail: dict[str, Exception] = {}  # method name -> what it raises
        self.log: list[str] = []
        self._pid = 1000

    def _maybe_fail(self, method: str) -> None:
        if method in self.fail:
            raise self.fail[method]

    def kill(self, inst_id: str) -> None:
        self.procs.discard(inst_id)

    # the executor's Runtime
    def allocate_port(self, in_use: set[int]) -> int:
        return max(in_use, default=30000) + 1

    def start(self, inst: Instance, release: Release, service: ServiceSpec) -> Instance:
        self._pid += 1
        self.procs.add(inst.id)
        self.log.append(f"start {inst.service}")
        return replace(inst, pid=self._pid, started_at=1.0)

    def alive(self, inst: Instance) -> bool:
        return inst.id in self.procs

    def exit_code(self, inst: Instance) -> int | None:
        return None if inst.id in self.procs else 1

    def probe(self, inst: Instance, health: HealthCheck) -> bool:
        return self.healthy

    def route(self, inst: Instance) -> None:
        self.servers.setdefault((inst.app, inst.env, inst.service), set()).add(inst.id)
        self.log.append(f"route {inst.id}")

    def drain(self, inst: Instance) -> None:
        pass

    def sessions(self, inst: Instance) -> int:
        return 0

    def unroute(self, inst: Instance, *, timeout: float = 5.0) -> None:
        self._maybe_fail("unroute")
        self.servers.get((inst.app, inst.env, inst.service), set()).discard(inst.id)
        self.log.append(f"unroute {inst.id}")

    def stop(self, inst: Instance, *, timeout: float) -> None:
        self.procs.discard(inst.id)
        self.log.append(f"stop {inst.id}")

    def log_tail(self, inst: Instance, lines: int = 10) -> str:
        return ""

    # what the reconciler reads
    def adopt(self, inst: Instance) -> Instance:
        pid = self.pidfiles.get(inst.id)
        return replace(inst, pid=pid, started_at=1.0) if pid is not None else inst

    def ensure_backend(
        self, app: str, env: str, service: ServiceSpec, primary: bool, domains: tuple[str, ...] = ()
    ) -> None:
        self.servers.setdefault((app, env, service.name), set())

    def routed(self, app: str, env: str, service: str) -> set[str]:
        self._maybe_fail("routed")
        return set(self.servers.get((app, env, service), set()))

    def failing(self, app: str, env: str, service: str) -> set[str]:
        return self.routed(app, env, service) & self.down


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(min_sleep=0.001)


@pytest.fixture
def driver(clock: ManualClock) -> InMemoryDriver:
    return InMemoryDriver(clock)


def deployed(store: Store, app: str) -> None:
    """An app whose staging environment runs release v1 (web and worker)."""
    store.create_app(app, ["staging"], now=1.0)
    store.add_release(
        Release(
            app=app,
            env="staging",
            version=1,
            build=BuildRef(digest="sha256:" + "0" * 64, kind="python", created_at=1.0),
            config={},
            services={"web": WEB, "worker": WORKER},
            created_at=1.0,
        )
    )
    store.update_env(app, "staging", lambda state: replace(state, release=1))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "launchdeck.db")
    deployed(s, "shop")
    yield s
    s.close()


@pytest.fixture
def deployments(store: Store, driver: InMemoryDriver, clock: ManualClock) -> Deployments:
    return Deployments(store, None, driver, clock=clock)  # type: ignore[arg-type]


@pytest.fixture
def reconciler(deployments: Deployments, clock: ManualClock) -> Reconciler:
    return Reconciler(deployments, clock=clock)


def running(store: Store, driver: InMemoryDriver, app: str = "shop") -> dict[str, Instance]:
    """Bring staging to its formation (one web, one worker), as after a deploy."""
    for service in ("web", "worker"):
        inst = Instance(
            id=f"{service}.v1-{app}",
            app=app,
            env="staging",
            service=service,
            release=1,
            state=RUNNING,
            port=30000 if service == "web" else None,
            pid=500,
            started_at=1.0,
        )
        store.save_instance(inst)
        driver.procs.add(inst.id)
        if service == "web":
            driver.route(inst)
    driver.log.clear()
    return {i.service: i for i in store.instances(app, "staging")}


def ids(store: Store, app: str = "shop") -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for inst in store.instances(app, "staging"):
        found.setdefault(inst.service, []).append(inst.id)
    return found


def test_a_settled_environment_is_left_alone(
    reconciler: Reconciler, store: Store, driver: InMemoryDriver
) -> None:
    running(store, driver)

    reconciler.reconcile_once()

    assert driver.log == []


def test_a_crashed_instance_is_replaced_through_the_executor(
    reconciler: Reconciler, store: Store, driver: InMemoryDriver, caplog: pytest.LogCaptureFixture
) -> None:
    web = running(store, driver)["web"]
    driver.kill(web.id)

    with caplog.at_level(logging.INFO, "launchdeck.reconciler"):
        reconciler.reconcile_once()

    (new,) = ids(store)["web"]
    assert new != web.id and new.startswith("web.v1-")
    assert driver.log == [f"unroute {web.id}", f"stop {web.id}", "start web", f"route {new}"]
    assert {i.state for i in store.instances("shop", "staging")} == {RUNNING}
    assert f"shop/staging: instance {web.id} (pid 500) is gone (crashed)" in caplog.messages
    assert "shop/staging: bringing web back to the desired count" in caplog.messages


def test_a_second_crash_is_replaced_a_second_later_and_the_wait_logged_once(
    reconciler: Reconciler,
    store: Store,
    driver: InMemoryDriver,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    running(store, driver)
    driver.kill("worker.v1-shop")
    reconciler.reconcile_once()
    (first,) = ids(store)["worker"]
    driver.kill(first)
    crashed_at = clock.t

    with caplog.at_level(logging.INFO, "launchdeck.reconciler"):
        for _ in range(3):
            reconciler.reconcile_once()
            clock.advance(0.25)
        assert "worker" not in ids(store)
        clock.t = crashed_at + 1.0
        reconciler.reconcile_once()

    assert len(ids(store)["worker"]) == 1
    holds = [m for m in caplog.messages if "crashed 2 times" in m]
    assert holds == [
        "shop/staging: worker crashed 2 times in 300s: replacing it 1s after the last crash"
    ]


def test_nothing_is_done_while_a_deployment_holds_the_environment(
    reconciler: Reconciler, deployments: Deployments, store: Store, driver: InMemoryDriver
) -> None:
    web = running(store, driver)["web"]
    driver.kill(web.id)
    worker = deployments.workers[("shop", "staging")]
    release = threading.Event()
    worker.submit(release.wait)  # a deployment queued or running

    try:
        reconciler.reconcile_once()
        assert web.id in ids(store)["web"] and driver.log == []
    finally:
        release.set()
    deadline = time.monotonic() + 5
    while worker.busy and time.monotonic() < deadline:  # the worker thread lets go
        time.sleep(0.005)
    with worker.lock:  # the job ran and let go; a job holding the lock is the other case
        reconciler.reconcile_once()
        assert web.id in ids(store)["web"] and driver.log == []

    reconciler.reconcile_once()

    assert web.id not in ids(store)["web"]


def test_an_instance_failing_its_health_check_is_replaced_after_a_whole_window(
    reconciler: Reconciler, store: Store, driver: InMemoryDriver, clock: ManualClock
) -> None:
    web = running(store, driver)["web"]
    driver.down.add(web.id)

    reconciler.reconcile_once()
    clock.advance(2.9)
    reconciler.reconcile_once()
    assert ids(store)["web"] == [web.id]
    clock.advance(0.1)
    reconciler.reconcile_once()

    (new,) = ids(store)["web"]
    assert new != web.id
    assert driver.log[:2] == [f"unroute {web.id}", f"stop {web.id}"]


def test_an_interrupted_start_is_adopted_from_its_pidfile(
    reconciler: Reconciler, store: Store, driver: InMemoryDriver
) -> None:
    worker = running(store, driver)["worker"]
    store.save_instance(replace(worker, pid=None, started_at=None))
    driver.pidfiles[worker.id] = 777

    reconciler.reconcile_once()

    (adopted,) = [i for i in store.instances("shop", "staging") if i.service == "worker"]
    assert adopted.id == worker.id and adopted.pid == 777


def test_the_router_gets_lost_instances_back_and_loses_stray_servers(
    reconciler: Reconciler, store: Store, driver: InMemoryDriver
) -> None:
    web = running(store, driver)["web"]
    driver.servers[("shop", "staging", "web")] = {"web.v0-stray"}

    reconciler.reconcile_once()

    assert driver.servers[("shop", "staging", "web")] == {web.id}


def test_a_failed_unroute_is_logged_and_the_gone_instance_still_forgotten(
    reconciler: Reconciler, store: Store, driver: InMemoryDriver, caplog: pytest.LogCaptureFixture
) -> None:
    web = running(store, driver)["web"]
    driver.kill(web.id)
    driver.fail["unroute"] = OSError("runtime API socket refused")

    reconciler.reconcile_once()

    assert web.id not in ids(store)["web"]
    (record,) = [r for r in caplog.records if "could not take" in r.getMessage()]
    assert (
        record.getMessage()
        == f"shop/staging: could not take {web.id} out of the router; retried on the next pass"
    )
    assert record.exc_info is not None and "socket refused" in str(record.exc_info[1])


def test_a_failed_replacement_is_logged_and_backs_off(
    reconciler: Reconciler,
    store: Store,
    driver: InMemoryDriver,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    web = running(store, driver)["web"]
    driver.kill(web.id)
    driver.healthy = False  # the replacement never passes its gate

    reconciler.reconcile_once()

    assert "web" not in ids(store)
    assert any("replacement failed: instance web.v1-" in m for m in caplog.messages)
    driver.healthy = True
    reconciler.reconcile_once()
    assert "web" not in ids(store)  # a failed replacement is a second crash: it waits 1s
    clock.advance(1.0)
    reconciler.reconcile_once()
    assert len(ids(store)["web"]) == 1


def test_one_environment_failing_does_not_stop_the_others(
    reconciler: Reconciler, store: Store, driver: InMemoryDriver, caplog: pytest.LogCaptureFixture
) -> None:
    deployed(store, "toys")
    assert [e.app for e in store.envs()] == ["shop", "toys"]  # the failing one goes first
    running(store, driver)
    worker = running(store, driver, "toys")["worker"]
    driver.kill(worker.id)
    routed = driver.routed

    def refused_for_shop(app: str, env: str, service: str) -> set[str]:
        if app == "shop":
            raise RuntimeError("HAProxy said no")
        return routed(app, env, service)

    driver.routed = refused_for_shop  # type: ignore[method-assign]

    reconciler.reconcile_once()

    assert ids(store, "toys")["worker"] != [worker.id]
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "shop/staging: repair failed; retried on the next pass"
    assert record.exc_info is not None and "HAProxy said no" in str(record.exc_info[1])


def test_a_stopped_router_is_restarted_and_a_failed_restart_logged(
    reconciler: Reconciler, store: Store, driver: InMemoryDriver, caplog: pytest.LogCaptureFixture
) -> None:
    web = running(store, driver)["web"]
    driver.router.running = False
    reconciler.reconcile_once()
    assert driver.router.restarts == 1
    assert "router was not running: restarting HAProxy from its config" in caplog.messages

    driver.router.running = False
    driver.router.broken = FileNotFoundError("haproxy not installed")
    driver.kill(web.id)
    reconciler.reconcile_once()

    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "HAProxy could not be restarted; retried on the next pass"
    assert web.id not in ids(store)["web"]  # the environments were still repaired


def figures(reconciler: Reconciler) -> dict[tuple[str, str], float]:
    return {(s.name, s.series.service): s.value for s in reconciler.samples()}


def test_crashes_and_health_replacements_are_figures_that_age_out(
    reconciler: Reconciler, store: Store, driver: InMemoryDriver, clock: ManualClock
) -> None:
    web = running(store, driver)["web"]
    assert figures(reconciler) == {
        ("crashes", "web"): 0, ("health_replacements", "web"): 0,
        ("crashes", "worker"): 0, ("health_replacements", "worker"): 0,
    }  # fmt: skip
    driver.kill("worker.v1-shop")
    reconciler.reconcile_once()
    driver.down.add(web.id)
    reconciler.reconcile_once()
    clock.advance(3.0)
    reconciler.reconcile_once()  # web retired: a crash too

    found = figures(reconciler)
    assert found[("crashes", "worker")] == 1 and found[("health_replacements", "worker")] == 0
    assert found[("crashes", "web")] == 1 and found[("health_replacements", "web")] == 1
    assert {s.series.app for s in reconciler.samples()} == {"shop"}

    clock.advance(300.0)  # crashes count for 5 minutes, replacements for 10
    found = figures(reconciler)
    assert found[("crashes", "web")] == 0 and found[("health_replacements", "web")] == 1
    clock.advance(300.0)
    assert set(figures(reconciler).values()) == {0}


def test_a_wake_runs_a_pass_at_once_however_long_the_interval(
    deployments: Deployments, store: Store, driver: InMemoryDriver, clock: ManualClock
) -> None:
    web = running(store, driver)["web"]
    loop = Reconciler(deployments, interval=60.0, clock=clock)
    loop.start()
    try:
        time.sleep(0.2)  # the first pass ran; the next is a minute away
        driver.kill(web.id)
        loop.wake()  # what the daemon does when a child process exits
        deadline = time.monotonic() + 5
        while web.id in ids(store).get("web", []) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert web.id not in ids(store).get("web", [])
    finally:
        loop.stop()


def test_wakes_repair_instances_and_leave_the_servers_to_the_interval(
    deployments: Deployments, store: Store, driver: InMemoryDriver, clock: ManualClock
) -> None:
    """A server that keeps failing to start wakes the loop as its start command exits: it is
    still looked at once an interval, not once a wake."""
    running(store, driver)
    looks: list[float] = []

    class Watched(FakeRouter):
        def is_running(self) -> bool:
            looks.append(clock.t)
            return True

    driver.router = Watched()
    loop = Reconciler(deployments, interval=60.0, clock=clock)
    loop.start()
    try:
        time.sleep(0.2)
        for _ in range(5):
            loop.wake()
            time.sleep(0.1)
        assert len(looks) == 1  # the first pass only
        clock.advance(60.0)
        loop.wake()
        deadline = time.monotonic() + 5
        while len(looks) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(looks) == 2
    finally:
        loop.stop()
