"""PostgresCluster against a real PostgreSQL on a free 127.0.0.1 port: one cluster per module,
stopped (and anything left SIGKILLed by pid) at teardown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from tests.integration.addon_support import free_port, kill_pids, newest_postgres, scratch_dir

from launchdeck.drivers.local.addon_errors import (
    AddonNotInstalled,
    AddonQueryFailed,
    AddonStartFailed,
    InvalidAddonInput,
    VersionMismatch,
)
from launchdeck.drivers.local.postgres.client import Endpoint, query, scalar
from launchdeck.drivers.local.postgres.cluster import (
    PostgresCluster,
    find_postgres,
    installed_versions,
    open_cluster,
)
from launchdeck.drivers.local.postgres.config import ClusterLayout, archive_command
from launchdeck.system import Command, Runner

VERSION = newest_postgres()

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(VERSION is None, reason="PostgreSQL is not installed"),
    pytest.mark.timeout(120),
]


@pytest.fixture(scope="module")
def base() -> Iterator[Path]:
    with scratch_dir("launchdeck-pg-") as path:
        yield path


@pytest.fixture(scope="module")
def cluster(base: Path) -> Iterator[PostgresCluster]:
    assert VERSION is not None
    pg = open_cluster(VERSION, root=base / "postgres" / VERSION, port=free_port())
    pg.ensure_running()
    try:
        yield pg
    finally:
        pids = [p.pid for p in pg.processes()]
        pg.stop()
        kill_pids(pids + [p.pid for p in pg.processes()])


def wait_until(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_cluster_listens_on_loopback_in_a_session_of_its_own(cluster: PostgresCluster) -> None:
    pid = cluster.pid()
    assert pid is not None
    assert os.getsid(pid) == pid != os.getsid(0)  # outlives the control plane's session
    if os.geteuid() == 0:
        assert psutil.Process(pid).username() == "postgres"
    settings = cluster.query(
        "SELECT name, setting FROM pg_settings WHERE name IN "
        "('listen_addresses', 'port', 'archive_mode', 'wal_level', 'password_encryption') "
        "ORDER BY name"
    )
    assert settings == [
        ("archive_mode", "on"),
        ("listen_addresses", "127.0.0.1"),
        ("password_encryption", "scram-sha-256"),
        ("port", str(cluster.port)),
        ("wal_level", "replica"),
    ]


def test_the_server_outlives_the_process_that_started_it(cluster: PostgresCluster) -> None:
    cluster.stop()
    assert not cluster.alive()
    starter = (
        "import sys; from pathlib import Path; from launchdeck.drivers.local.postgres.cluster import "
        "open_cluster; print(open_cluster(sys.argv[1], root=Path(sys.argv[2]), "
        "port=int(sys.argv[3])).ensure_running())"
    )
    args = [sys.executable, "-c", starter, cluster.binaries.version, str(cluster.layout.root),
            str(cluster.port)]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)

    assert cluster.pid() == int(done.stdout)  # adopted through postmaster.pid
    assert cluster.query("SELECT 1") == [(1,)]


def test_each_environment_opens_only_its_own_database(cluster: PostgresCluster) -> None:
    staging = cluster.ensure_database("shop", "staging")
    production = cluster.ensure_database("shop", "production")
    assert (staging.role, staging.database) == ("shop_staging", "shop_staging")
    assert cluster.ensure_database("shop", "staging") == staging  # idempotent, same password
    for creds in (staging, production):
        rows = query(cluster.endpoint(creds), "SELECT current_user, current_database()")
        assert rows == [(creds.role, creds.database)]

    for creds, other in ((staging, production), (production, staging)):
        wrong_db = Endpoint("127.0.0.1", cluster.port, creds.role, other.database, creds.password)
        with pytest.raises(AddonQueryFailed) as refused:
            query(wrong_db, "SELECT 1")
        assert str(refused.value) == (
            f"SQL as {creds.role!r} on database {other.database!r} (127.0.0.1:{cluster.port}) "
            f'failed: FATAL:  permission denied for database "{other.database}"'
        )

    maintenance = Endpoint("127.0.0.1", cluster.port, staging.role, "postgres", staging.password)
    with pytest.raises(AddonQueryFailed) as refused:
        query(maintenance, "SELECT 1")
    assert 'permission denied for database "postgres"' in str(refused.value)
    bad_password = Endpoint("127.0.0.1", cluster.port, staging.role, staging.database, "wrong")
    with pytest.raises(AddonQueryFailed) as refused:
        query(bad_password, "SELECT 1")
    assert 'password authentication failed for user "shop_staging"' in str(refused.value)


def set_log_statement(cluster: PostgresCluster, value: str | None) -> None:
    """`value` for every new session; None: back to the default."""
    change = "RESET log_statement" if value is None else f"SET log_statement = '{value}'"
    cluster.query(f"ALTER SYSTEM {change}")
    cluster.query("SELECT pg_reload_conf()")
    expected = [(value or "none",)]
    wait_until(lambda: cluster.query("SHOW log_statement") == expected, 10, "the reload")


def test_a_role_password_reaches_the_server_only_as_a_scram_verifier(
    cluster: PostgresCluster,
) -> None:
    set_log_statement(cluster, "all")
    try:
        with cluster.layout.log.open("rb") as log:
            log.seek(0, 2)
            creds = cluster.ensure_database("shop", "audit")  # CREATE ROLE
            cluster.ensure_database("shop", "audit")  # ALTER ROLE
            logged = log.read().decode(errors="replace")
    finally:
        set_log_statement(cluster, None)

    assert "CREATE ROLE" in logged and "ALTER ROLE" in logged  # every statement was logged...
    assert creds.password not in logged  # ...but the password never was
    stored = cluster.query("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (creds.role,))
    assert stored[0][0].startswith("SCRAM-SHA-256$4096:")
    assert scalar(cluster.endpoint(creds), "SELECT current_user") == "shop_audit"


def test_database_url_is_what_an_app_connects_with(cluster: PostgresCluster) -> None:
    creds = cluster.ensure_database("shop", "staging")
    url = cluster.database_url(creds)
    assert url == (
        f"postgres://shop_staging:{creds.password}@127.0.0.1:{cluster.port}/shop_staging"
    )
    psql = cluster.binaries.tool("psql")
    command = Command((psql, "-X", "-At", "-c", "SELECT current_database()", url),
                      env={"PATH": "/usr/bin:/bin"}, timeout=30)  # fmt: skip
    assert Runner().run(command).stdout.strip() == "shop_staging"


def test_killed_postmaster_is_restarted_and_no_committed_row_is_lost(
    cluster: PostgresCluster,
) -> None:
    creds = cluster.ensure_database("shop", "crash")
    endpoint = cluster.endpoint(creds)
    query(endpoint, "CREATE TABLE orders (id int PRIMARY KEY)")
    committed: list[int] = []
    stop = threading.Event()

    def traffic() -> None:  # one committed insert per connection, through the outage
        for n in range(1, 100_000):
            if stop.is_set():
                return
            try:
                query(endpoint, "INSERT INTO orders VALUES (%s)", (n,))
            except AddonQueryFailed:
                time.sleep(0.02)
            else:
                committed.append(n)

    writer = threading.Thread(target=traffic, daemon=True)
    writer.start()
    try:
        wait_until(lambda: len(committed) >= 20, 30, "20 committed inserts")
        old = cluster.pid()
        assert old is not None
        os.kill(old, signal.SIGKILL)
        wait_until(lambda: not cluster.alive(), 10, "the postmaster to die")
        before_restart = len(committed)

        new = cluster.ensure_running()

        assert new != old and cluster.pid() == new
        wait_until(lambda: len(committed) >= before_restart + 20, 30, "inserts after the restart")
    finally:
        stop.set()
        writer.join(timeout=30)
    stored = {row[0] for row in query(endpoint, "SELECT id FROM orders")}
    assert set(committed) <= stored


def test_a_version_that_is_not_installed_names_the_package(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    (lib / "15" / "bin").mkdir(parents=True)
    (lib / "15" / "bin" / "postgres").touch()
    with pytest.raises(AddonNotInstalled) as info:
        find_postgres("16", lib_root=lib)
    assert str(info.value) == (
        f"PostgreSQL 16 is not installed (no {lib}/16/bin/postgres; installed here: 15); "
        "fix: apt-get install postgresql-16 (or run make setup)"
    )
    with pytest.raises(AddonNotInstalled) as info:
        open_cluster("99", root=tmp_path / "pg", port=free_port())
    installed = ", ".join(installed_versions())
    assert str(info.value) == (
        "PostgreSQL 99 is not installed (no /usr/lib/postgresql/99/bin/postgres; installed "
        f"here: {installed}); fix: apt-get install postgresql-99 (or run make setup)"
    )
    assert not (tmp_path / "pg").exists()  # nothing was changed


def test_bad_input_is_refused_with_the_way_forward(cluster: PostgresCluster) -> None:
    with pytest.raises(InvalidAddonInput) as info:
        cluster.ensure_database("Shop!", "staging")
    assert str(info.value) == (
        "app name 'Shop!' cannot name an add-on user: use 1-30 lowercase letters, digits and "
        "'-', starting with a letter"
    )
    with pytest.raises(InvalidAddonInput) as info:
        find_postgres("15.4")
    assert str(info.value) == (
        "postgres version '15.4' is not a major version: use one like '15' or '16'"
    )


def test_a_data_directory_of_another_major_version_is_refused(tmp_path: Path) -> None:
    assert VERSION is not None
    layout = ClusterLayout(tmp_path / "pg")
    layout.data.mkdir(parents=True)
    (layout.data / "PG_VERSION").write_text("9\n")
    pg = PostgresCluster(layout, find_postgres(VERSION), port=free_port())
    with pytest.raises(VersionMismatch) as info:
        pg.ensure_running()
    assert str(info.value) == (
        f"{layout.data} was initialized by PostgreSQL 9, not {VERSION}; fix: ask for version "
        "'9', or move the data with pg_upgrade first"
    )


def test_a_taken_port_is_reported_with_the_fix(cluster: PostgresCluster, base: Path) -> None:
    assert VERSION is not None
    other = open_cluster(VERSION, root=base / "other", port=cluster.port)
    try:
        with pytest.raises(AddonStartFailed) as info:
            other.ensure_running(timeout=20)
        assert (
            f"is another program using port {cluster.port}? fix: give the cluster a free port"
            in str(info.value)
        )
    finally:
        kill_pids(p.pid for p in other.processes())


def test_dropping_a_database_drops_its_role(cluster: PostgresCluster) -> None:
    creds = cluster.ensure_database("shop", "review-7")
    cluster.drop_database("shop", "review-7")
    assert "shop_review-7" not in cluster.app_databases()
    with pytest.raises(AddonQueryFailed) as refused:
        query(cluster.endpoint(creds), "SELECT 1")
    assert 'password authentication failed for user "shop_review-7"' in str(refused.value)
    again = cluster.ensure_database("shop", "review-7")
    assert again.password != creds.password
    assert scalar(cluster.endpoint(again), "SELECT current_database()") == "shop_review-7"


def test_wal_is_archived_continuously(cluster: PostgresCluster) -> None:
    segment = cluster.archive_wal()
    assert (cluster.layout.archive / segment).is_file()
    assert cluster.query("SELECT last_archived_wal FROM pg_stat_archiver")[0][0] >= segment


def test_the_archive_command_never_overwrites(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    segment = tmp_path / "000000010000000000000001"

    def archive_it(content: bytes) -> int:
        segment.write_bytes(content)
        command = archive_command(archive).replace("%p", str(segment)).replace("%f", segment.name)
        return subprocess.run(["/bin/sh", "-c", command], check=False).returncode

    assert archive_it(b"first") == 0
    assert archive_it(b"first") == 0  # a retry of the same segment succeeds
    assert archive_it(b"other") != 0  # a different one under the same name is refused
    assert (archive / segment.name).read_bytes() == b"first"
    assert sorted(p.name for p in archive.iterdir()) == [segment.name]
