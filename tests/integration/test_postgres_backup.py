"""Base backups, their verification and point-in-time restore against a real PostgreSQL: one
source cluster per module; every restored or scratch cluster is stopped by pid before its test
ends."""

from __future__ import annotations

import io
import json
import math
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from tests.integration.addon_support import free_port, kill_pids, newest_postgres, scratch_dir

from launchdeck.domain.backups import Backup, BackupStatus
from launchdeck.drivers.local.addon_errors import InvalidAddonInput, RestoreTargetOutOfRange
from launchdeck.drivers.local.postgres.backups import MANIFEST, Backups, sha256, wal_segment
from launchdeck.drivers.local.postgres.client import Session, scalar
from launchdeck.drivers.local.postgres.cluster import Credentials, PostgresCluster, open_cluster
from launchdeck.system.addon_errors import BackupFailed, UnknownBackup

VERSION = newest_postgres()

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(VERSION is None, reason="PostgreSQL is not installed"),
    pytest.mark.timeout(180),
]

BUCKET = f"it-backups-{uuid.uuid4().hex[:8]}"  # moto keeps buckets per process
CHECKSUM = "SELECT md5(string_agg(id || ':' || body, ',' ORDER BY id)) FROM {table}"


@dataclass
class Source:
    cluster: PostgresCluster
    backups: Backups
    creds: Credentials
    base: Path

    def sql(self, statement: str, cluster: PostgresCluster | None = None) -> object:
        pg = cluster or self.cluster
        return scalar(pg.endpoint(self.creds), statement)


class FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@pytest.fixture(scope="module")
def source() -> Iterator[Source]:
    assert VERSION is not None
    with scratch_dir("launchdeck-pgbackup-") as base:
        cluster = open_cluster(VERSION, root=base / "postgres", port=free_port())
        cluster.ensure_running()
        try:
            creds = cluster.ensure_database("shop", "production")
            with Session(cluster.endpoint(creds)) as session:
                session.execute("CREATE TABLE items (id int PRIMARY KEY, body text NOT NULL)")
                session.execute(
                    "INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 1000) i"
                )
                session.execute("CREATE TABLE users (id int PRIMARY KEY, body text NOT NULL)")
                session.execute(
                    "INSERT INTO users SELECT i, 'user ' || i FROM generate_series(1, 10) i"
                )
            yield Source(cluster, Backups(cluster, base / "backups"), creds, base)
        finally:
            pids = [p.pid for p in cluster.processes()]
            cluster.stop()
            kill_pids(pids + [p.pid for p in cluster.processes()])
            assert not servers_under(base), "a scratch or restored cluster was left running"


def servers_under(base: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if "postgres" in proc.name() and Path(proc.cwd()).is_relative_to(base):
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def stop(cluster: PostgresCluster) -> None:
    pids = [p.pid for p in cluster.processes()]
    cluster.stop(mode="immediate")
    kill_pids(pids)


def flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + 64):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def rerecord_checksums(source: Source, backup: Backup) -> None:
    """As if the archive had been damaged before its checksum was taken."""
    directory = source.backups.directory(backup)
    manifest = json.loads((directory / MANIFEST).read_text())
    manifest["files"] = {name: sha256(directory / name) for name in manifest["files"]}
    (directory / MANIFEST).write_text(json.dumps(manifest))


def test_a_base_backup_is_recorded_and_verifies(source: Source) -> None:
    backup = source.backups.take()

    assert backup.status is BackupStatus.TAKEN
    assert {"base.tar.gz", "pg_wal.tar.gz"} <= set(backup.files)
    assert backup.size_bytes > 0
    assert backup.started_at <= backup.finished_at <= time.time()
    assert backup.wal_start_lsn and backup.wal_end_lsn and backup.timeline == 1
    assert backup.row_counts["shop_production"] == {"public.items": 1000, "public.users": 10}
    on_disk = json.loads((source.backups.directory(backup) / MANIFEST).read_text())
    assert on_disk["id"] == backup.id and on_disk["status"] == "taken"
    assert on_disk["row_counts"]["shop_production"]["public.items"] == 1000

    verified = source.backups.verify(backup.id)

    assert verified.status is BackupStatus.VERIFIED, verified.reason
    assert verified.reason == "" and verified.verified_at is not None
    assert source.backups.get(backup.id).status is BackupStatus.VERIFIED
    assert not servers_under(source.backups.scratch)
    assert not any(source.backups.scratch.iterdir())


def test_a_verified_backup_and_the_wal_archive_are_copied_to_the_admin_s_bucket(
    source: Source, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    from launchdeck.controlplane.access.secrets import Keyring
    from launchdeck.controlplane.databases.backups import copier_to
    from launchdeck.controlplane.databases.target import BackupTargetFile, parse_target
    from launchdeck.drivers.local.postgres.copies import s3_copies

    # the daemon has no AWS credentials at all: only the target's access key can sign
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t").client(
            "s3", endpoint_url=endpoint, region_name="us-east-1"
        )
        s3.create_bucket(Bucket=BUCKET)
        setting = BackupTargetFile(tmp_path / "home", Keyring(tmp_path / "home", environ={}))
        setting.set(parse_target({"bucket": BUCKET, "prefix": "ld/", "endpoint": endpoint,
                                  "region": "us-east-1", "access_key_id": "AKIDADMIN",
                                  "secret_access_key": "admin-secret"}))  # fmt: skip
        backup = source.backups.verify(source.backups.take().id)
        segment = source.cluster.archive_wal()
        target = setting.get()  # as the backup service reads it, secret decrypted
        assert target is not None
        copies = copier_to(s3_copies)(target, "15", source.backups.wal_archive)

        result = copies.upload(source.backups.directory(backup), backup.id)

        assert result.error == "" and result.copied_to == f"s3://{BUCKET}/ld/15/{backup.id}/"
        listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
        found = {item["Key"]: item["Size"] for item in listed}
        directory = source.backups.directory(backup)
        for path in directory.iterdir():
            assert found[f"ld/15/{backup.id}/{path.name}"] == path.stat().st_size
        assert found[f"ld/15/wal/{segment}"] == 16 * 1024 * 1024
        assert copies.upload(directory, backup.id).wal_files == 0
    finally:
        server.stop()


def test_point_in_time_restore_has_exactly_the_rows_present_then(source: Source) -> None:
    source.sql(
        "CREATE TABLE ledger (id int PRIMARY KEY, body text NOT NULL);"
        "INSERT INTO ledger SELECT i, 'entry ' || i FROM generate_series(1, 200) i;"
    )
    source.backups.take()
    source.sql("INSERT INTO ledger SELECT i, 'entry ' || i FROM generate_series(201, 300) i;")
    time.sleep(0.1)
    noted = datetime.now(UTC)
    then = source.sql(CHECKSUM.format(table="ledger"))
    time.sleep(0.1)
    source.sql(
        "INSERT INTO ledger SELECT i, 'entry ' || i FROM generate_series(301, 400) i;"
        "DELETE FROM ledger WHERE id % 3 = 0;"
        "UPDATE ledger SET body = 'changed' WHERE id < 10;"
    )
    now = source.sql(CHECKSUM.format(table="ledger"))
    assert now != then

    restored = source.backups.restore_to_time(noted, root=source.base / "pitr", port=free_port())
    try:
        assert restored.port != source.cluster.port
        assert source.sql(CHECKSUM.format(table="ledger"), restored) == then
        assert source.sql("SELECT count(*) FROM ledger", restored) == 300
        # a primary of its own, with the same credentials; the source is untouched
        assert restored.ensure_database("shop", "production") == source.creds
        source.sql("INSERT INTO ledger VALUES (1000, 'after the restore')", restored)
        assert source.sql(CHECKSUM.format(table="ledger")) == now
    finally:
        stop(restored)


def test_a_backup_restores_by_id(source: Source) -> None:
    first = source.backups.list()[0]
    restored = source.backups.restore_backup(first.id, root=source.base / "by-id", port=free_port())
    try:
        assert source.sql("SELECT count(*) FROM items", restored) == 1000
    finally:
        stop(restored)


@pytest.mark.parametrize("damage", [flip_bytes, truncate], ids=["corrupted", "truncated"])
def test_a_damaged_archive_fails_verification(source: Source, damage: object) -> None:
    assert callable(damage)
    backup = source.backups.take()
    archive = source.backups.directory(backup) / "base.tar.gz"
    recorded = backup.files["base.tar.gz"]
    damage(archive)

    checked = source.backups.verify(backup.id)

    assert checked.status is BackupStatus.FAILED
    assert checked.reason == (
        f"base.tar.gz does not match the checksum recorded at backup time (sha256 "
        f"{sha256(archive)[:12]}..., recorded {recorded[:12]}...): it was changed or corrupted"
    )
    assert source.backups.get(backup.id).status is BackupStatus.FAILED


@pytest.mark.parametrize("damage", [flip_bytes, truncate], ids=["corrupted", "truncated"])
def test_damage_behind_a_matching_checksum_is_caught_by_the_restore(
    source: Source, damage: object
) -> None:
    assert callable(damage)
    backup = source.backups.take()
    damage(source.backups.directory(backup) / "base.tar.gz")
    rerecord_checksums(source, backup)

    checked = source.backups.verify(backup.id)

    assert checked.status is BackupStatus.FAILED
    assert checked.reason.startswith("could not unpack base.tar.gz: "), checked.reason
    assert not servers_under(source.backups.scratch)


def test_a_changed_file_inside_a_sound_archive_fails_verification(source: Source) -> None:
    backup = source.backups.take()
    archive = source.backups.directory(backup) / "base.tar.gz"
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else b"") for m in tar]  # type: ignore[union-attr]
    victim = next(m.name for m, data in members if m.name.startswith("base/") and len(data) > 8192)
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            if member.name == victim:
                data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
            tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    rerecord_checksums(source, backup)

    checked = source.backups.verify(backup.id)

    assert checked.status is BackupStatus.FAILED
    assert checked.reason.startswith("the unpacked backup does not match its backup_manifest: "), (
        checked.reason
    )
    assert victim in checked.reason


def test_a_backup_missing_rows_fails_verification(source: Source) -> None:
    backup = source.backups.take()
    directory = source.backups.directory(backup)
    manifest = json.loads((directory / MANIFEST).read_text())
    for reading in ("row_counts_before", "row_counts"):  # rows the dump lacks
        manifest[reading]["shop_production"]["public.items"] = 1234
    (directory / MANIFEST).write_text(json.dumps(manifest))

    checked = source.backups.verify(backup.id)

    assert checked.status is BackupStatus.FAILED
    assert checked.reason == (
        "the restored data does not match what was recorded at backup time: "
        "shop_production public.items has 1000 rows, 1234 recorded"
    )


def test_a_backup_of_a_server_that_is_down_is_recorded_as_failed(source: Source) -> None:
    pg = source.cluster
    down = PostgresCluster(pg.layout, pg.binaries, port=free_port())  # nothing listens there
    backups = Backups(down, source.base / "down-backups")
    with pytest.raises(BackupFailed) as info:
        backups.take()
    assert str(info.value).startswith(
        f"no backup of {pg.layout.root} was taken: pg_basebackup failed: "
    )
    [failed] = backups.list()
    assert failed.status is BackupStatus.FAILED and failed.reason.startswith(
        "pg_basebackup failed: "
    )
    assert not [p for p in backups.root.iterdir() if p.name.startswith(".")]  # no partial left


def stamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_restore_outside_the_window_is_refused_and_shows_the_window(source: Source) -> None:
    now = math.floor(time.time()) + 0.25
    pg = source.cluster
    fixed = PostgresCluster(pg.layout, pg.binaries, port=pg.port, clock=FixedClock(now))
    backups = Backups(fixed, source.backups.root)
    earliest = min(b.finished_at for b in backups.list() if b.status is not BackupStatus.FAILED)
    window = f"the restorable window is {stamp(math.ceil(earliest))} to {stamp(now)} (now)"
    fix = "fix: pick a time inside that window"

    before = datetime.fromtimestamp(math.floor(earliest) - 3600, UTC)
    with pytest.raises(RestoreTargetOutOfRange) as info:
        backups.restore_to_time(before, root=source.base / "never", port=free_port())
    assert str(info.value) == (
        f"cannot restore to {stamp(before.timestamp())}: it is before the oldest backup; "
        f"{window}; {fix}"
    )

    future = datetime.fromtimestamp(math.floor(now) + 3600, UTC)
    with pytest.raises(RestoreTargetOutOfRange) as info:
        backups.restore_to_time(future, root=source.base / "never", port=free_port())
    assert str(info.value) == (
        f"cannot restore to {stamp(future.timestamp())}: it is in the future; {window}; {fix}"
    )

    with pytest.raises(InvalidAddonInput) as naive:
        backups.restore_to_time(datetime(2026, 11, 22, 10, 15), root=source.base / "never", port=1)
    assert str(naive.value) == (
        "restore time 2026-11-22T10:15:00 has no timezone; fix: give one, e.g. 2026-11-22T10:15:00Z"
    )
    assert not (source.base / "never").exists()  # nothing was changed


def test_an_unknown_backup_id_is_refused(source: Source) -> None:
    known = ", ".join(b.id for b in source.backups.list())
    expected = (
        f"no backup 'nope'; known backups (oldest first): {known}; "
        "fix: pick one from `launchdeck db backups`"
    )
    with pytest.raises(UnknownBackup) as info:
        source.backups.verify("nope")
    assert str(info.value) == expected
    with pytest.raises(UnknownBackup) as info:
        source.backups.restore_backup("nope", root=source.base / "never", port=free_port())
    assert str(info.value) == expected
    assert not (source.base / "never").exists()


def test_expiry_keeps_the_newest_backup_and_the_wal_it_needs(source: Source) -> None:
    source.cluster.archive_wal()
    pg = source.cluster
    later = time.time() + 30 * 86400
    fixed = PostgresCluster(pg.layout, pg.binaries, port=pg.port, clock=FixedClock(later))
    backups = Backups(fixed, source.backups.root)
    before = backups.list()
    newest = [b for b in before if b.status is not BackupStatus.FAILED][-1]

    deleted = backups.expire(keep_days=7)

    assert sorted(deleted) == sorted(b.id for b in before if b.id != newest.id)
    assert [b.id for b in backups.list()] == [newest.id]
    oldest_needed = wal_segment(newest.wal_start_lsn, newest.timeline)
    segments = [p.name for p in pg.layout.archive.iterdir() if len(p.name) == 24]
    assert segments and min(segments) == oldest_needed
    restored = backups.restore_to_time(
        datetime.now(UTC) - timedelta(seconds=1),
        root=source.base / "after-expiry",
        port=free_port(),
    )
    stop(restored)


def test_a_backup_taken_while_rows_are_written_still_verifies(source: Source) -> None:
    import threading

    source.sql("CREATE TABLE IF NOT EXISTS events (id serial PRIMARY KEY, body text NOT NULL)")
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            source.sql("INSERT INTO events (body) SELECT 'e' FROM generate_series(1, 50)")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(0.2)
        backup = source.backups.take()
    finally:
        stop.set()
        writer.join(30)

    before = backup.row_counts_before["shop_production"]["public.events"]
    after = backup.row_counts["shop_production"]["public.events"]
    assert before < after  # rows really were written while the backup ran
    verified = source.backups.verify(backup.id)
    assert verified.status is BackupStatus.VERIFIED, verified.reason
