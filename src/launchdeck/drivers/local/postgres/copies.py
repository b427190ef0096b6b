"""Copies of verified base backups, and of the WAL archive, in an S3-compatible bucket.

A backup directory goes to `<prefix><cluster>/<backup id>/` (its archives, then backup.json, so
a copy with a backup.json is whole) and the archived WAL segments the bucket lacks to
`<prefix><cluster>/wal/`: a base backup and the WAL after it are what a point-in-time restore
needs, so the bucket alone can rebuild the database if the host is lost. Every object's size
is read back (head_object) after it is written. A copy never raises: `upload` returns a
CopyResult whose `error` says what went wrong and what to do.

The raw boto3 client is passed in; `s3_copies` makes one for the host's backup target (an
admin's control-plane setting, controlplane/backup_target.py), signed with the target's own
access key when it has one, else with the control plane's AWS credential chain (environment
keys, profile, instance role). Never from an app's manifest: a cluster holds every app's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)

from launchdeck.domain import BackupCopy
from launchdeck.domain.backups import CopyResult, S3Credentials
from launchdeck.system import LaunchdeckError

MANIFEST = "backup.json"  # postgres_backup.MANIFEST; uploaded last
SET_TARGET = "launchdeck db backups target set"  # how an admin names the bucket and its keys


class CopyFailed(LaunchdeckError):
    """Inside BackupCopies only: becomes CopyResult.error."""


class BackupCopies:
    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        cluster: str,
        wal_archive: Path,
        own_keys: bool = False,
    ) -> None:
        self.client = client
        self.own_keys = own_keys  # signed with the target's access key, not the daemon's
        self.bucket = bucket
        self.prefix = prefix
        self.cluster = cluster
        self.wal_archive = wal_archive

    def backup_key(self, backup_id: str) -> str:
        return f"{self.prefix}{self.cluster}/{backup_id}/"

    @property
    def wal_key(self) -> str:
        return f"{self.prefix}{self.cluster}/wal/"

    def upload(self, backup_dir: Path, backup_id: str) -> CopyResult:
        """Upload the backup's files and the WAL the bucket does not have yet."""
        where = f"s3://{self.bucket}/{self.backup_key(backup_id)}"
        try:
            self._check_bucket()
            files = _backup_files(backup_dir)
            if not files:
                raise CopyFailed(f"{backup_dir} holds no files", "take a new backup")
            size = sum(self._put(path, self.backup_key(backup_id) + path.name) for path in files)
            have = self._listing(self.wal_key)
            wal = [p for p in _wal_files(self.wal_archive) if have.get(p.name) != p.stat().st_size]
            size += sum(self._put(path, self.wal_key + path.name) for path in wal)
        except (CopyFailed, OSError) as exc:
            return CopyResult(error=f"copying backup {backup_id} to {where} failed: {exc}")
        return CopyResult(where, files=len(files), wal_files=len(wal), size_bytes=size)

    # -- one call each -----------------------------------------------------------------------

    def _check_bucket(self) -> None:
        with self._explained("head_bucket"):
            self.client.head_bucket(Bucket=self.bucket)

    def _put(self, path: Path, key: str) -> int:
        size = path.stat().st_size
        with self._explained("upload"):
            self.client.upload_file(str(path), self.bucket, key)  # multipart when large
            found = int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        if found != size:
            raise CopyFailed(
                f"s3://{self.bucket}/{key} holds {found} bytes after the upload, {path} has {size}",
                "check that the endpoint is S3-compatible, then copy it again with "
                "`launchdeck db verify ID`",
            )
        return size

    def _listing(self, prefix: str) -> dict[str, int]:
        """Object name (after `prefix`) -> size."""
        found: dict[str, int] = {}
        with self._explained("list_objects_v2"):
            pages = self.client.get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    found[str(item["Key"])[len(prefix) :]] = int(item["Size"])
        return found

    # -- errors ------------------------------------------------------------------------------

    @contextmanager
    def _explained(self, operation: str) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            raise self.explain(operation, exc) from exc

    def explain(self, operation: str, exc: Exception) -> CopyFailed:
        if isinstance(exc, S3UploadFailedError) and isinstance(exc.__context__, ClientError):
            exc = exc.__context__
        if isinstance(exc, NoCredentialsError):
            return CopyFailed(
                "the control plane has no AWS credentials",
                f"give the backup target an access key ({SET_TARGET} ... --access-key-id ID "
                "--secret-access-key-stdin), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or AWS_PROFILE) in the control plane's environment",
            )
        if isinstance(exc, EndpointConnectionError):
            return CopyFailed(
                str(exc),
                "check that the store is reachable, or correct the endpoint: "
                f"{SET_TARGET} --bucket {self.bucket} --endpoint URL",
            )
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchBucket"):
                return CopyFailed(
                    f"bucket {self.bucket} does not exist{self._at}",
                    f"create it (aws s3 mb s3://{self.bucket}) or name another: {SET_TARGET} "
                    "--bucket NAME",
                )
            if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                whose = (
                    "the backup target's access key"
                    if self.own_keys
                    else "the control plane's AWS credentials"
                )
                return CopyFailed(
                    f"access to bucket {self.bucket} was denied{self._at} ({code})",
                    f"give {whose} s3:ListBucket, s3:PutObject and s3:GetObject on it",
                )
            message = exc.response.get("Error", {}).get("Message", "")
            return CopyFailed(f"{operation}: {code} {message}")
        return CopyFailed(f"{operation}: {exc}")

    @property
    def _at(self) -> str:
        endpoint = getattr(getattr(self.client, "meta", None), "endpoint_url", None)
        return f" at {endpoint}" if endpoint else ""


def _backup_files(backup_dir: Path) -> list[Path]:
    files = sorted(p for p in backup_dir.iterdir() if p.is_file())
    return [p for p in files if p.name != MANIFEST] + [p for p in files if p.name == MANIFEST]


def _wal_files(archive: Path) -> Iterator[Path]:
    if not archive.is_dir():
        return
    for path in sorted(archive.iterdir()):
        if path.is_file() and not path.name.endswith(".tmp"):  # .tmp: archive_command copying
            yield path


def s3_copies(
    target: BackupCopy,
    *,
    cluster: str,
    wal_archive: Path,
    credentials: S3Credentials | None = None,
) -> BackupCopies:
    """BackupCopies to `target`, signed with `credentials` when given (and nothing else: no
    fallback to the daemon's own), else with the control plane's AWS credential chain."""
    if credentials is None:
        session = boto3.session.Session()
    else:
        session = boto3.session.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
        )
    client = session.client("s3", endpoint_url=target.endpoint, region_name=target.region)
    return BackupCopies(client, target.bucket, target.prefix, cluster=cluster,
                        wal_archive=wal_archive, own_keys=credentials is not None)  # fmt: skip
