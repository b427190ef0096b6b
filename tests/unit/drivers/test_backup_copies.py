"""BackupCopies against a real S3-compatible HTTP endpoint (moto's server on a free loopback
port): keys, sizes read back, WAL uploaded once, the error a missing bucket gives, and whose
keys sign the requests (the admin's target's access key when it has one, else the daemon's)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from launchdeck.domain import BackupCopy
from launchdeck.domain.backups import S3Credentials
from launchdeck.drivers.local.postgres.copies import BackupCopies, s3_copies

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
        "s3://no-such-bucket) or name another: launchdeck db backups target set --bucket NAME"
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


def signers(copies: BackupCopies) -> list[str]:
    """The access key id of each request the client sends, from its SigV4 Authorization header."""
    seen: list[str] = []

    def note(request: Any, **_: Any) -> None:
        auth = request.headers.get("Authorization", b"")
        auth = auth.decode() if isinstance(auth, bytes) else auth
        seen.append(auth.split("Credential=")[1].split("/")[0] if "Credential=" in auth else "")

    copies.client.meta.events.register("before-send.s3.*", note)
    return seen


def test_the_target_s_access_key_signs_every_request_not_the_daemon_s(
    client: Any, endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "DAEMONKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "daemon-secret")
    backup, wal = fake_backup(tmp_path)
    keys = S3Credentials("AKIDADMIN", "admin-secret")
    copies = s3_copies(BackupCopy(BUCKET, "ld/", endpoint, "us-east-1"), cluster="15",
                       wal_archive=wal, credentials=keys)  # fmt: skip
    seen = signers(copies)

    result = copies.upload(backup, "b4")

    assert result.ok, result.error
    assert seen and set(seen) == {"AKIDADMIN"}
    assert "admin-secret" not in repr(keys)

    daemon = s3_copies(BackupCopy(BUCKET, "ld/", endpoint, "us-east-1"), cluster="15",
                       wal_archive=wal)  # fmt: skip
    seen = signers(daemon)
    assert daemon.upload(backup, "b5").ok
    assert seen and set(seen) == {"DAEMONKEY"}


def test_the_target_s_key_is_enough_when_the_daemon_has_none(
    client: Any, endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    backup, wal = fake_backup(tmp_path)
    where = BackupCopy(BUCKET, "ld/", endpoint, "us-east-1")

    keyed = s3_copies(where, cluster="15", wal_archive=wal,
                      credentials=S3Credentials("AKIDADMIN", "admin-secret"))  # fmt: skip
    bare = s3_copies(where, cluster="15", wal_archive=wal)

    assert keyed.upload(backup, "b6").ok
    assert bare.upload(backup, "b7").error == (
        f"copying backup b7 to s3://{BUCKET}/ld/15/b7/ failed: the control plane has no AWS "
        "credentials; fix: give the backup target an access key (launchdeck db backups target "
        "set ... --access-key-id ID --secret-access-key-stdin), or set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the control plane's environment"
    )


def test_a_denied_copy_names_whose_keys_need_the_permissions() -> None:
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "HeadBucket")

    def explained(own_keys: bool) -> str:
        copies = BackupCopies(object(), "shop-backups", cluster="15", wal_archive=Path("/none"),
                              own_keys=own_keys)  # fmt: skip
        return str(copies.explain("head_bucket", denied))

    assert explained(own_keys=True) == (
        "access to bucket shop-backups was denied (AccessDenied); fix: give the backup target's "
        "access key s3:ListBucket, s3:PutObject and s3:GetObject on it"
    )
    copies = BackupCopies(object(), "b", cluster="15", wal_archive=Path("/none"), own_keys=True)
    failed = copies.explain("head_bucket", denied)
    assert (failed.message, failed.fix) == (
        "access to bucket b was denied (AccessDenied)",
        "give the backup target's access key s3:ListBucket, s3:PutObject and s3:GetObject on it",
    )
    assert explained(own_keys=False).endswith(
        "fix: give the control plane's AWS credentials s3:ListBucket, s3:PutObject and "
        "s3:GetObject on it"
    )
