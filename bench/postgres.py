"""How fast the PostgreSQL add-on backs up, restores and replays WAL, on a real cluster.

measure() fills one table of a fresh cluster with ~100 MB (generate_series), then times:
- `pg_backup_s`: a base backup (pg_basebackup, tar + gzip, checksums and row counts recorded);
- `pg_restore_s`: restoring that backup into a new cluster until it accepts writes (unpack,
  pg_verifybackup, recovery to the end of the backup, promotion);
- `pitr_replay_mb_per_s`: after ~100 MB more of writes, a point-in-time restore to the end of
  them; MB (10^6 bytes) of WAL from the backup's start to the target, divided by the time from
  starting the recovering server to its promotion (unpacking is not counted).
bench/run.py prints them as `name: value` lines; run this file to print them alone.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from launchdeck.drivers.local.postgres.backups import Backups
from launchdeck.drivers.local.postgres.client import Endpoint, query, scalar
from launchdeck.drivers.local.postgres.cluster import (
    PostgresCluster,
    installed_versions,
    open_cluster,
)
from launchdeck.drivers.local.postgres.config import Recovery
from launchdeck.drivers.local.postgres.recovery import free_loopback_port

TARGET_BYTES = 100 * 1000 * 1000
ROWS_PER_BATCH = 200_000  # ~28 MB of heap each


def measure() -> dict[str, float]:
    versions = installed_versions()
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: run make setup")
    with _scratch() as base, _clusters() as started:
        source = open_cluster(versions[-1], root=base / "source", port=free_loopback_port())
        started.append(source)
        source.ensure_running()
        creds = source.ensure_database("bench", "production")
        endpoint = source.endpoint(creds)
        query(endpoint, "CREATE TABLE big (id bigint PRIMARY KEY, body text)")
        _fill(source, endpoint, TARGET_BYTES)
        backups = Backups(source, base / "backups")

        began = time.perf_counter()
        backup = backups.take()
        pg_backup_s = time.perf_counter() - began

        began = time.perf_counter()
        restored = backups.restore_backup(backup.id, root=base / "restored",
                                          port=free_loopback_port())  # fmt: skip
        pg_restore_s = time.perf_counter() - began
        started.append(restored)
        assert scalar(restored.endpoint(creds), "SELECT count(*) FROM big") != 0
        restored.stop(mode="immediate")

        _fill(source, endpoint, 2 * TARGET_BYTES)  # ~100 MB of WAL after the backup
        target = datetime.now(UTC)
        target_lsn = scalar(source.admin(), "SELECT pg_current_wal_lsn()")
        source.archive_wal()  # a commit after the target, and everything archived
        replay_bytes = float(scalar(
            source.admin(), "SELECT pg_wal_lsn_diff(%s, %s)", (target_lsn, backup.wal_start_lsn)
        ))  # fmt: skip
        layout = backups.restorer.unpack(backups.directory(backup), base / "pitr")
        recovery = Recovery(source.layout.archive, target_time=target.isoformat())
        began = time.perf_counter()
        pitr = backups.restorer.recover(layout, port=free_loopback_port(), recovery=recovery)
        replay_s = time.perf_counter() - began
        started.append(pitr)

    return {
        "pg_backup_s": pg_backup_s,
        "pg_restore_s": pg_restore_s,
        "pitr_replay_mb_per_s": replay_bytes / 1e6 / replay_s,
    }


def _fill(cluster: PostgresCluster, endpoint: Endpoint, size: int) -> None:
    """Insert batches until the database holds `size` bytes."""
    count = int(scalar(endpoint, "SELECT count(*) FROM big"))
    while int(scalar(endpoint, "SELECT pg_database_size(current_database())")) < size:
        query(
            endpoint,
            "INSERT INTO big SELECT i, repeat(md5(i::text), 3) FROM generate_series(%s, %s) i",
            (count + 1, count + ROWS_PER_BATCH),
        )
        count += ROWS_PER_BATCH


@contextmanager
def _scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="launchdeck-bench-pg-"))
    path.chmod(0o711)  # the postgres account must reach the clusters below it
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _clusters() -> Iterator[list[PostgresCluster]]:
    started: list[PostgresCluster] = []
    try:
        yield started
    finally:
        for cluster in reversed(started):
            cluster.stop(mode="immediate")


if __name__ == "__main__":
    for name, value in measure().items():
        print(f"{name}: {value:.3f}", flush=True)
