"""AddonHost's restores, prune and database copies against a real PostgreSQL: an environment
restored into a cluster of its own keeps living there (across a new AddonHost, as after a
control-plane restart, and a killed postmaster), its first backup verifies, prune removes what
nothing uses, and a copy replaces another environment's data only when swapped in."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest
from tests.harness import free_range
from tests.integration.addon_support import kill_pids, newest_postgres, scratch_dir

from launchdeck.domain import Addons, BackupPolicy, PostgresAddon
from launchdeck.domain.backups import BackupStatus
from launchdeck.drivers.local.addon_errors import InvalidAddonInput, RestoreTargetOutOfRange
from launchdeck.drivers.local.addons import AddonHost
from launchdeck.drivers.local.ports import PortAllocator
from launchdeck.drivers.local.postgres.client import query, scalar
from launchdeck.system.addon_errors import UnknownBackup

VERSION = newest_postgres()

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(VERSION is None, reason="PostgreSQL is not installed"),
    pytest.mark.timeout(240),
]

SETTINGS = PostgresAddon(VERSION, BackupPolicy(every=12 * 3600, keep=14 * 86400), "true")


@dataclass
class Host:
    base: Path
    ports: PortAllocator

    def open(self) -> AddonHost:
        return AddonHost(self.base / "addons", ports=self.ports)

    def sql(self, addons: AddonHost, env: str, statement: str) -> object:
        db = addons.database("shop", env)
        return scalar(db.cluster.endpoint(db.creds), statement)


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with scratch_dir("launchdeck-restores-") as base:
        first, last = (int(p) for p in free_range(100).split("-"))
        h = Host(base, PortAllocator(first, last))
        try:
            yield h
        finally:
            addons = h.open()
            pids = [p.pid for c in addons.fleet.known().values() for p in c.processes()]
            addons.stop_all()
            kill_pids(pids + postgres_under(base))


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def postgres_under(base: Path) -> list[int]:
    found = []
    for proc in psutil.process_iter():
        try:
            if "postgres" in proc.name() and Path(proc.cwd()).is_relative_to(base):
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def test_a_restored_environment_lives_in_its_own_cluster_from_then_on(host: Host) -> None:
    addons = host.open()
    wanted = Addons(postgres=SETTINGS)
    [staging] = addons.attach("shop", "staging", wanted)
    addons.attach("shop", "production", wanted)
    host.sql(addons, "staging", "CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2);")
    host.sql(addons, "production", "CREATE TABLE p (n int); INSERT INTO p VALUES (1);")
    assert addons.postgres_settings("shop", "staging") == SETTINGS
    [use] = addons.clusters_in_use()
    assert (use.name, use.environments) == (VERSION, (("shop", "production"), ("shop", "staging")))

    backups = addons.backups(VERSION)
    first = backups.take()
    host.sql(addons, "staging", "INSERT INTO t VALUES (3);")
    time.sleep(0.2)
    noted = datetime.now(UTC)
    time.sleep(0.2)
    host.sql(addons, "staging", "DELETE FROM t WHERE n = 1;")

    restored = addons.restore("shop", "staging", source=VERSION, target=noted)
    assert restored.name.startswith(f"{VERSION}/restores/")
    assert restored.row_counts == {"public.t": 3}
    assert restored.record.backup == first.id and restored.record.environment == "shop_staging"
    assert restored.cluster.app_databases() == ["shop_staging"]  # production's copy is dropped
    moved = addons.move("shop", "staging", restored.name)
    assert moved.url != staging.url and f":{restored.cluster.port}/" in moved.url
    assert (
        host.sql(addons, "staging", "SELECT string_agg(n::text, ',' ORDER BY n) FROM t") == "1,2,3"
    )

    # a deploy keeps it there; production stays in the main cluster
    [again] = addons.attach("shop", "staging", wanted)
    assert again.url == moved.url
    assert [s.cluster for s in addons.history("shop", "staging")] == [VERSION, restored.name]
    by_name = {u.name: u.environments for u in addons.clusters_in_use()}
    assert by_name == {VERSION: (("shop", "production"),), restored.name: (("shop", "staging"),)}

    # its own first backup verifies (a restored cluster runs on a timeline of its own)
    own = addons.backups(restored.name)
    checked = own.verify(own.take().id)
    assert checked.status is BackupStatus.VERIFIED, checked.reason

    # a new AddonHost (a control-plane restart) finds it, and restarts it when killed
    later = host.open()
    assert later.database("shop", "staging").url == moved.url
    pid = restored.cluster.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while restored.cluster.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert f"PostgreSQL {restored.name}" in later.ensure_running()
    assert host.sql(later, "staging", "SELECT count(*) FROM t") == 3

    # what staging left in the main cluster can be pruned, unless a DATABASE_URL points at it
    main_port = addons.database("shop", "production").cluster.port
    [left] = later.prunable(in_use=set())
    assert (left.kind, left.cluster, left.database) == ("database", VERSION, "shop_staging")
    assert later.prunable(in_use={(main_port, "shop_staging")}) == []


def test_bad_restore_requests_change_nothing(host: Host) -> None:
    addons = host.open()
    restores = host.base / "addons" / "postgres" / str(VERSION) / "restores"
    before = sorted(p.name for p in restores.glob("*"))
    with pytest.raises(RestoreTargetOutOfRange) as future:
        addons.restore(
            "shop", "production", source=VERSION, target=datetime(2999, 1, 1, tzinfo=UTC)
        )
    assert "it is in the future; the restorable window is " in str(future.value)
    with pytest.raises(UnknownBackup):
        addons.restore("shop", "production", source=VERSION, backup_id="nope")
    with pytest.raises(InvalidAddonInput):
        addons.restore("shop", "production", source=VERSION)
    assert sorted(p.name for p in restores.glob("*")) == before


def test_an_unused_restored_cluster_is_pruned_with_its_backups(host: Host) -> None:
    addons = host.open()
    backup = addons.backups(VERSION).list()[0]
    spare = addons.restore("shop", "production", source=VERSION, backup_id=backup.id)
    root = addons.fleet.path(spare.name)
    pid = spare.cluster.pid()

    pruned = addons.prune(in_use=set())

    assert ("cluster", spare.name) in [(p.kind, p.cluster) for p in pruned]
    assert not root.exists() and addons.cluster(spare.name) is None
    assert (pid is not None and not psutil.pid_exists(pid)) or psutil.Process(
        pid
    ).status() == psutil.STATUS_ZOMBIE
    assert addons.database("shop", "production").cluster_name == VERSION  # untouched


def test_a_copy_replaces_the_target_only_when_swapped_in(host: Host) -> None:
    addons = host.open()
    host.sql(addons, "production", "INSERT INTO p VALUES (2), (3);")
    copy = addons.copy_database(
        ("shop", "production"), ("shop", "staging"), workdir=host.base / "tmp"
    )
    copy.load()
    cluster = addons.database("shop", "staging").cluster
    scrub = "UPDATE p SET n = 0 WHERE n = 3;"
    query(cluster.endpoint(copy.copy), scrub)  # what a scrub command would do
    assert host.sql(addons, "staging", "SELECT count(*) FROM t") == 3  # untouched so far

    copy.swap()

    rows = host.sql(addons, "staging", "SELECT string_agg(n::text, ',' ORDER BY n) FROM p")
    assert rows == "0,1,2"
    assert host.sql(addons, "staging", "SELECT to_regclass('t') IS NULL") is True
    assert (
        host.sql(addons, "production", "SELECT string_agg(n::text, ',' ORDER BY n) FROM p")
        == "1,2,3"
    )
    owner = host.sql(addons, "staging", "SELECT tableowner FROM pg_tables WHERE tablename = 'p'")
    assert owner == "shop_staging"
    assert not [
        d for d in cluster.query("SELECT datname FROM pg_database") if d[0].startswith("ld_")
    ]
