"""The collectors against the real thing: process groups that allocate and burn CPU (in a cgroup
of their own where this host lets us make one), and a PostgreSQL cluster and Redis server an
AddonHost runs. Every process started here is SIGKILLed by pid when its test ends."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
from tests.harness import free_range
from tests.integration.addon_support import kill_pids, newest_postgres, scratch_dir

from launchdeck.domain import Addons, Instance, InstanceState, PostgresAddon, RedisAddon, Resources
from launchdeck.domain.metrics import Sample, Series
from launchdeck.drivers.local.addons import AddonHost
from launchdeck.drivers.local.cgroups import Cgroups
from launchdeck.drivers.local.metrics import Collector, ResourceCollector
from launchdeck.drivers.local.ports import PortAllocator
from launchdeck.drivers.local.postgres import sql
from launchdeck.drivers.local.processes import Launch, Processes
from launchdeck.drivers.local.redis.client import RedisClient
from launchdeck.drivers.local.redis.known import KnownRedis
from launchdeck.drivers.local.redis.server import ADMIN

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

MiB = 1024 * 1024
WAIT = 30.0  # upper bound; every wait ends as soon as its condition holds
# ~60 MiB written (so resident), then a busy loop until `stop` appears (at most 60 s)
BURN = """
import os, sys, time
data = b"\\x01" * (60 * 1024 * 1024)
open(sys.argv[1], "w").close()
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not os.path.exists(sys.argv[2]):
    pass
"""
SLEEP = "import sys, time; open(sys.argv[1], 'w').close(); time.sleep(60)"


def eventually(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def app_line(script: str, ready: Path, stop: Path) -> str:
    """The app as a child of its shell (`; true` keeps sh from exec'ing it)."""
    return f"{shlex.join([sys.executable, '-c', script, str(ready), str(stop)])}; true"


def by_name(samples: list[Sample], instance: str) -> dict[str, float]:
    return {s.name: s.value for s in samples if s.series.instance == instance}


class Spawned:
    """Instances as the driver runs them: `/bin/sh -c` in a session of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.pids: list[int] = []

    def shell(self, name: str, script: str) -> tuple[Instance, Path]:
        ready = self.tmp / f"{name}.ready"
        proc = subprocess.Popen(["/bin/sh", "-c", app_line(script, ready, self.tmp / "stop")],
                                start_new_session=True)  # fmt: skip
        self.pids.append(proc.pid)
        return self.instance(name, proc.pid), ready

    def instance(self, name: str, pid: int) -> Instance:
        started = psutil.Process(pid).create_time()
        return Instance(name, "shop", "staging", "web", 3, InstanceState.RUNNING,
                        port=None, pid=pid, started_at=started)  # fmt: skip

    def kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)

    def cleanup(self) -> None:
        (self.tmp / "stop").touch()
        for pid in self.pids:
            self.kill(pid)


@pytest.fixture
def spawned(tmp_path: Path) -> Iterator[Spawned]:
    s = Spawned(tmp_path)
    yield s
    s.cleanup()


def test_a_busy_group_reports_its_memory_and_cpu_and_an_idle_one_little(spawned: Spawned) -> None:
    busy, busy_ready = spawned.shell("shop-staging-web-busy", BURN)
    idle, idle_ready = spawned.shell("shop-staging-web-idle", SLEEP)
    eventually(lambda: busy_ready.exists() and idle_ready.exists(), "the apps to start")
    collector = ResourceCollector()

    first = collector.collect([busy, idle])
    before = collector.read(busy)
    assert before is not None

    def burnt() -> bool:
        now = collector.read(busy)
        return now is not None and now.cpu_seconds >= before.cpu_seconds + 1.0

    eventually(burnt, "a second of CPU")
    second = collector.collect([busy, idle])

    assert "cpu" not in by_name(first, busy.id)
    hot, cold = by_name(second, busy.id), by_name(second, idle.id)
    assert hot["memory_bytes"] >= 60 * MiB  # the shell's child counts
    assert cold["memory_bytes"] < 60 * MiB
    assert hot["cpu"] > 0.25
    assert cold["cpu"] < 0.1
    assert hot["open_fds"] >= 6  # stdin, stdout and stderr of the shell and of python
    assert hot["memory_limit_bytes"] == 0.0  # none: memory is a share of the host's
    assert hot["memory"] == pytest.approx(hot["memory_bytes"] / psutil.virtual_memory().total)


def test_an_instance_gone_mid_pass_is_skipped(spawned: Spawned) -> None:
    idle, ready = spawned.shell("shop-staging-web-idle", SLEEP)
    eventually(ready.exists, "the app to start")
    collector = ResourceCollector()
    assert by_name(collector.collect([idle]), idle.id)

    assert idle.pid is not None
    spawned.kill(idle.pid)

    assert collector.collect([idle]) == []


@pytest.fixture
def cgroups() -> Iterator[Cgroups]:
    groups = Cgroups(name=f"launchdeck-metrics-test-{os.getpid()}")
    if not groups.support.enabled:
        pytest.skip(f"no writable cgroups here: {groups.support.detail}")
    yield groups
    parents = [groups.root / groups.name]
    if not groups.v2:
        parents = [groups.root / c / groups.name for c in ("memory", "cpu")]
    for parent in parents:
        with contextlib.suppress(OSError):
            parent.rmdir()


def test_an_instance_in_a_cgroup_reports_against_its_limits(
    tmp_path: Path, cgroups: Cgroups, spawned: Spawned
) -> None:
    processes = Processes()
    ready = tmp_path / "limited.ready"
    launch = Launch(
        instance_id="shop-staging-web-limited",
        command=app_line(BURN, ready, tmp_path / "stop"),
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        cwd=tmp_path,
        log=tmp_path / "limited.log",
        pidfile=tmp_path / "limited.pid",
        cgroup_procs=cgroups.prepare("shop-staging-web-limited", Resources(0.5, 256 * MiB)),
    )
    proc = processes.start(launch)
    spawned.pids.append(proc.pid)
    try:
        eventually(ready.exists, "the app to start")
        inst = spawned.instance(launch.instance_id, proc.pid)
        collector = ResourceCollector(cgroups)
        collector.collect([inst])
        before = collector.read(inst)
        assert before is not None

        def burnt() -> bool:
            now = collector.read(inst)
            return now is not None and now.cpu_seconds >= before.cpu_seconds + 0.5

        eventually(burnt, "half a second of CPU")
        found = by_name(collector.collect([inst]), inst.id)
    finally:
        processes.stop(proc, timeout=5.0)
        cgroups.release(launch.instance_id)

    assert found["memory_limit_bytes"] == 256 * MiB
    assert found["memory_bytes"] >= 60 * MiB
    assert found["memory"] == found["memory_bytes"] / (256 * MiB)
    assert found["cpu"] > 0.5  # of its half core: busy, it uses all it may


# -- add-ons ------------------------------------------------------------------------------------

VERSION = newest_postgres()
needs_addons = pytest.mark.skipif(
    VERSION is None or shutil.which("redis-server") is None,
    reason="PostgreSQL or Redis is not installed",
)


@pytest.fixture(scope="module")
def addons() -> Iterator[AddonHost]:
    """One AddonHost whose `shop/staging` has a database and a Redis server of its own."""
    with scratch_dir("launchdeck-metrics-") as base:
        first, last = (int(p) for p in free_range(50).split("-"))
        host = AddonHost(base / "addons", ports=PortAllocator(first, last))
        try:
            host.attach("shop", "staging", Addons(PostgresAddon(VERSION), RedisAddon()))
            yield host
        finally:
            pids = [p.pid for c in host.fleet.known().values() for p in c.processes()]
            redis = KnownRedis(host.root).redis_server("shop", "staging")
            redis_pid = redis.pid() if redis is not None else None
            host.stop_all()
            kill_pids(pids + ([redis_pid] if redis_pid else []))


def addon_figures(collector: Collector, service: str) -> dict[str, float]:
    samples = collector.collect([], {("shop", "staging")})
    assert {s.series for s in samples} <= {Series("shop", "staging", "postgres"),
                                           Series("shop", "staging", "redis")}  # fmt: skip
    return {s.name: s.value for s in samples if s.series.service == service}


@needs_addons
def test_postgres_figures_are_the_environments_database(addons: AddonHost) -> None:
    collector = Collector.local(None, addons)
    database = addons.database("shop", "staging")

    with psycopg.connect(database.url, autocommit=True) as app:
        app.execute("CREATE TABLE IF NOT EXISTS t (n int)")
        before = addon_figures(collector, "postgres")
        app.execute("INSERT INTO t SELECT generate_series(1, 200000)")
        after = addon_figures(collector, "postgres")
    closed = addon_figures(collector, "postgres")

    assert before["postgres_connections"] == 1  # the app's; ours go to the `postgres` database
    assert after["postgres_database_bytes"] > before["postgres_database_bytes"]
    assert closed["postgres_connections"] == 0
    disk = shutil.disk_usage(database.cluster.layout.root)
    assert closed["disk_free"] == pytest.approx(disk.free / disk.total, abs=0.01)


@needs_addons
def test_archive_lag_grows_while_archiving_fails_and_is_0_once_it_caught_up(
    addons: AddonHost,
) -> None:
    collector = Collector.local(None, addons)
    cluster = addons.database("shop", "staging").cluster
    archive, away = cluster.layout.archive, cluster.layout.archive.with_name("archive-away")
    cluster.archive_wal()
    eventually(lambda: addon_figures(collector, "postgres")["postgres_archive_lag_s"] == 0,
               "nothing waiting to be archived")  # fmt: skip

    archive.rename(away)  # archive_command fails from now on
    try:
        with cluster.session() as session:
            sql.switch_wal(session)
        eventually(lambda: addon_figures(collector, "postgres")["postgres_archive_lag_s"] > 0,
                   "a segment waiting")  # fmt: skip
        waited = addon_figures(collector, "postgres")["postgres_archive_lag_s"]
        eventually(lambda: addon_figures(collector, "postgres")["postgres_archive_lag_s"] > waited,
                   "the lag to grow")  # fmt: skip
    finally:
        away.rename(archive)

    cluster.archive_wal()  # wakes the archiver, which retries what failed first
    eventually(lambda: addon_figures(collector, "postgres")["postgres_archive_lag_s"] == 0,
               "the archiver to catch up")  # fmt: skip


@needs_addons
def test_redis_figures_leave_out_the_collectors_own_connection(addons: AddonHost) -> None:
    collector = Collector.local(None, addons)
    server = addons.redis("shop", "staging")
    password = server.credentials.get(ADMIN)
    assert password is not None

    with RedisClient("127.0.0.1", server.port, password=password) as app:
        app.redis.set("shop:staging:a", "1")
        for key in ("shop:staging:a", "shop:staging:a", "shop:staging:a", "shop:staging:b"):
            app.redis.get(key)
        found = addon_figures(collector, "redis")

    assert found["redis_clients"] == 1  # the app's
    assert found["redis_hit_rate"] == 0.75
    assert found["redis_memory_bytes"] > 0


@needs_addons
def test_servers_that_are_down_yield_only_the_disk_their_data_is_on(addons: AddonHost) -> None:
    collector = Collector.local(None, addons)
    assert {s.series.service for s in collector.collect([], {("shop", "staging")})} == {
        "postgres",
        "redis",
    }

    addons.stop_all()

    left = collector.collect([], {("shop", "staging")})
    assert {s.name for s in left} == {"disk_free"}  # what `low_disk` watches stays measured
    assert {s.series.service for s in left} <= {"postgres", "redis"}
