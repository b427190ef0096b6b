"""BackupCopies against a real S3-compatible HTTP endpoint (moto's server on a free loopback
port): keys, sizes read back, WAL uploaded once, and the error a missing bucket gives."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from launchdeck.domain import BackupCopy
from launchdeck.drivers.local.backup_copies import BackupCopies, s3_copies

BUCKET = f"shop-backups-{uuid.uuid4().hex[:8]}"  # moto keeps buckets per process: ours alone


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def client(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3 = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    yield s3
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def fake_backup(tmp_path: Path) -> tuple[Path, Path]:
    backup = tmp_path / "backups" / "20261201T120000Z-ab12"
    backup.mkdir(parents=True)
    (backup / "base.tar.gz").write_bytes(b"b" * 3000)
    (backup / "pg_wal.tar.gz").write_bytes(b"w" * 700)
    (backup / "backup.json").write_text('{"id": "20261201T120000Z-ab12"}\n')
    wal = tmp_path / "archive"
    wal.mkdir()
    (wal / "000000010000000000000001").write_bytes(b"1" * 1024)
    (wal / "000000010000000000000002").write_bytes(b"2" * 2048)
    (wal / "000000010000000000000003.tmp").write_bytes(b"half")  # archive_command copying
    return backup, wal


def objects(client: Any) -> dict[str, int]:
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {item["Key"]: item["Size"] for item in listed}


def test_a_backup_and_the_wal_archive_are_uploaded_under_the_prefix(
    client: Any, tmp_path: Path
) -> None:
    backup, wal = fake_backup(tmp_path)
    copies = BackupCopies(client, BUCKET, "launchdeck/", cluster="15", wal_archive=wal)

    result = copies.upload(backup, backup.name)

    assert result.error == ""
    assert result.copied_to == f"s3://{BUCKET}/launchdeck/15/20261201T120000Z-ab12/"
    assert (result.files, result.wal_files) == (3, 2)
    assert objects(client) == {
        "launchdeck/15/20261201T120000Z-ab12/backup.json": 32,
        "launchdeck/15/20261201T120000Z-ab12/base.tar.gz": 3000,
        "launchdeck/15/20261201T120000Z-ab12/pg_wal.tar.gz": 700,
        "launchdeck/15/wal/000000010000000000000001": 1024,
        "launchdeck/15/wal/000000010000000000000002": 2048,
    }


def test_a_second_upload_skips_the_wal_already_in_the_bucket(client: Any, tmp_path: Path) -> None:
    backup, wal = fake_backup(tmp_path)
    copies = BackupCopies(client, BUCKET, "", cluster="15", wal_archive=wal)
    copies.upload(backup, backup.name)
    (wal / "000000010000000000000003.tmp").rename(wal / "000000010000000000000003")

    again = copies.upload(backup, backup.name)

    assert again.ok and (again.files, again.wal_files) == (3, 1)
    assert objects(client)["15/wal/000000010000000000000003"] == 4


def test_a_missing_bucket_is_a_copy_error_naming_the_bucket_and_a_fix(
    client: Any, endpoint: str, tmp_path: Path
) -> None:
    backup, wal = fake_backup(tmp_path)
    target = BackupCopy("no-such-bucket", "launchdeck/", endpoint, "us-east-1")
    copies = s3_copies(target, cluster="15", wal_archive=wal)

    result = copies.upload(backup, "b1")

    assert result.copied_to == ""
    assert result.error == (
        "copying backup b1 to s3://no-such-bucket/launchdeck/15/b1/ failed: bucket "
        f"no-such-bucket does not exist at {endpoint}; fix: create it (aws s3 mb "
        "s3://no-such-bucket) or correct addons.postgres.backups.s3.bucket"
    )


def test_an_empty_backup_directory_is_not_copied(client: Any, tmp_path: Path) -> None:
    (tmp_path / "b2").mkdir()
    copies = BackupCopies(client, BUCKET, "", cluster="15", wal_archive=tmp_path / "none")

    result = copies.upload(tmp_path / "b2", "b2")

    assert result.error == (
        f"copying backup b2 to s3://{BUCKET}/15/b2/ failed: {tmp_path / 'b2'} holds no "
        "files; fix: take a new backup"
    )
    assert objects(client) == {}


class TruncatingStore:
    """An S3 client whose objects come back a byte short (a store that lost the tail)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.meta = client.meta

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def head_object(self, **kwargs: Any) -> dict[str, Any]:
        head = self.client.head_object(**kwargs)
        return {**head, "ContentLength": head["ContentLength"] - 1}


def test_an_object_whose_size_differs_after_upload_is_a_copy_error(
    client: Any, tmp_path: Path
) -> None:
    backup, wal = fake_backup(tmp_path)
    copies = BackupCopies(TruncatingStore(client), BUCKET, "", cluster="15", wal_archive=wal)

    result = copies.upload(backup, "b3")

    assert not result.ok and result.copied_to == ""
    assert result.error == (
        f"copying backup b3 to s3://{BUCKET}/15/b3/ failed: s3://{BUCKET}/15/b3/"
        f"base.tar.gz holds 2999 bytes after the upload, {backup / 'base.tar.gz'} has 3000; fix: "
        "check that the endpoint is S3-compatible, then copy it again with `launchdeck db verify ID`"
    )
