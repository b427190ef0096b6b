"""The host's backup target: the one S3-compatible bucket every verified base backup (with the
WAL archive) is copied to. A control-plane setting only an admin sets (`launchdeck db backups
target set`, `PUT /v1/settings/backup-target`), never an app's manifest: a PostgreSQL cluster
holds the data of every app and environment on this host, so only the host's owner chooses
where copies of it go, and with which credentials.

Kept in `$LAUNCHDECK_HOME/backup-target.json`, written atomically with mode 0600; the secret
access key in it is encrypted with the control plane's keyring (secrets.py) and decrypted only
to sign an upload. Without an access key, uploads are signed with the control plane's own AWS
credential chain (environment, profile, instance role). No target: backups stay on this host.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from launchdeck.controlplane.access.secrets import Keyring
from launchdeck.controlplane.errors import Invalid
from launchdeck.domain import BackupCopy
from launchdeck.domain.backups import S3Credentials
from launchdeck.manifest.values.fieldtypes import BucketName, KeyPrefix, Region, S3Endpoint
from launchdeck.system import LaunchdeckError, atomic_write

FILE = "backup-target.json"
FIELDS = (
    "bucket", "prefix", "endpoint", "region", "access_key_id", "secret_access_key",
)  # fmt: skip
SET = "launchdeck db backups target set"
_CHECKS: dict[str, TypeAdapter[str]] = {
    "bucket": TypeAdapter(BucketName),
    "prefix": TypeAdapter(KeyPrefix),
    "endpoint": TypeAdapter(S3Endpoint),
    "region": TypeAdapter(Region),
}
_EXAMPLES = {
    "bucket": "shop-backups",
    "prefix": "launchdeck/",
    "endpoint": "https://s3.eu-west-1.amazonaws.com",
    "region": "eu-west-1",
    "access_key_id": "AKIAIOSFODNN7EXAMPLE",
}
_KEY_MAX = 128  # AWS access key ids are up to 128 characters; MinIO's and R2's are shorter
_SECRET_MAX = 256


class TargetUnreadable(LaunchdeckError):
    """The stored target cannot be used (damaged file, a key it was not encrypted with)."""


@dataclass(frozen=True)
class BackupTarget:
    where: BackupCopy
    credentials: S3Credentials | None = None  # None: the control plane's own AWS credentials

    def public_json(self) -> dict[str, Any]:
        """What an admin sees: everything but the secret access key."""
        creds = self.credentials
        return {
            "configured": True,
            "bucket": self.where.bucket,
            "prefix": self.where.prefix,
            "endpoint": self.where.endpoint,
            "region": self.where.region,
            "url": self.where.url,
            "access_key_id": creds.access_key_id if creds else None,
            "credentials_set": creds is not None,  # else: the control plane's own AWS chain
        }


NO_TARGET: dict[str, Any] = {
    "configured": False, "bucket": None, "prefix": None, "endpoint": None, "region": None,
    "url": None, "access_key_id": None, "credentials_set": False,
}  # fmt: skip


class BackupTargetFile:
    """The setting, read afresh on every `get` (the API writes it, the scheduler reads it)."""

    def __init__(self, home: Path, keyring: Keyring | None = None) -> None:
        self.home = home
        self.path = home / FILE
        self._keyring = keyring

    def get(self) -> BackupTarget | None:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            raw = json.loads(text)
            where = BackupCopy(raw["bucket"], raw["prefix"], raw["endpoint"], raw["region"])
            sealed = raw["secret_access_key_encrypted"]
            key_id = raw["access_key_id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TargetUnreadable(  # no path: copy errors reach deployers and webhooks
                f"the backup target setting ($LAUNCHDECK_HOME/{FILE}) is damaged ({exc})",
                f"set the target again: {SET} ...",
            ) from None
        if key_id is None or sealed is None:
            return BackupTarget(where)
        try:
            secret = self.keyring.decrypt(sealed)
        except Invalid as exc:
            raise TargetUnreadable(
                f"the backup target's secret access key cannot be decrypted ({exc.message})",
                f"{exc.fix}, or set the target again: {SET} ...",
            ) from None
        return BackupTarget(where, S3Credentials(key_id, secret))

    def set(self, target: BackupTarget) -> None:
        creds = target.credentials
        stored = {
            "bucket": target.where.bucket,
            "prefix": target.where.prefix,
            "endpoint": target.where.endpoint,
            "region": target.where.region,
            "access_key_id": creds.access_key_id if creds else None,
            "secret_access_key_encrypted": (
                self.keyring.encrypt(creds.secret_access_key) if creds else None
            ),
        }
        atomic_write(self.path, json.dumps(stored, indent=2) + "\n", mode=0o600)

    def unset(self) -> bool:
        """Remove the setting; False when there was none."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    @property
    def keyring(self) -> Keyring:
        if self._keyring is None:
            self._keyring = Keyring(self.home)
        return self._keyring


# -- checking what an admin sends ------------------------------------------------------------


def parse_target(body: Mapping[str, object]) -> BackupTarget:
    """The target in a PUT body; Invalid naming the field, the value and the fix otherwise."""
    unknown = [key for key in body if key not in FIELDS]
    if unknown:
        raise Invalid(
            f"{unknown[0]}: unknown setting (got {unknown[0]!r})",
            f"use only: {', '.join(FIELDS)}",
        )
    if body.get("bucket") is None:
        raise Invalid("bucket: is required", f"e.g. {SET} --bucket {_EXAMPLES['bucket']}")
    where = BackupCopy(
        _checked("bucket", body["bucket"]),
        _checked("prefix", body.get("prefix") or ""),
        _optional("endpoint", body.get("endpoint")),
        _optional("region", body.get("region")),
    )
    return BackupTarget(where, _credentials(body.get("access_key_id"),
                                            body.get("secret_access_key")))  # fmt: skip


def _optional(name: str, value: object) -> str | None:
    return None if value is None or value == "" else _checked(name, value)


def _checked(name: str, value: object) -> str:
    text = _plain(name, value)
    if name == "endpoint":
        _plain_url(text)
    if name == "prefix" and not text:
        return ""
    try:
        return _CHECKS[name].validate_python(text, strict=True)
    except ValidationError as exc:
        detail = exc.errors()[0]
        fix = str(detail.get("ctx", {}).get("fix") or f"use e.g. {_EXAMPLES[name]!r}")
        raise Invalid(f"{name}: {detail['msg']} (got {value!r})", fix) from None


def _plain(name: str, value: object) -> str:
    """A string of printable characters without spaces: no newline rides into a key or a URL."""
    if not isinstance(value, str):
        raise Invalid(f"{name}: should be a string (got {value!r})", _example_fix(name))
    if not value.isprintable() or any(c.isspace() for c in value) or not value.isascii():
        raise Invalid(
            f"{name}: should have no spaces, control or non-ASCII characters (got {value!r})",
            _example_fix(name),
        )
    return value


def _plain_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise Invalid(
            f"endpoint: should be a plain http(s) URL, without user, query or fragment "
            f"(got {value!r})",
            "give credentials with --access-key-id and --secret-access-key-stdin; use e.g. "
            "'http://127.0.0.1:9000'",
        )


def _credentials(key_id: object, secret: object) -> S3Credentials | None:
    given = {name for name, v in (("access_key_id", key_id), ("secret_access_key", secret))
             if v not in (None, "")}  # fmt: skip
    if not given:
        return None
    if len(given) == 1:
        [have] = given
        missing = "secret_access_key" if have == "access_key_id" else "access_key_id"
        raise Invalid(
            f"{missing}: is required with {have}",
            "give both (--access-key-id ID --secret-access-key-stdin), or neither to sign "
            "with the control plane's own AWS credentials",
        )
    key = _plain("access_key_id", key_id)
    if len(key) > _KEY_MAX:
        raise Invalid(
            f"access_key_id: should be at most {_KEY_MAX} characters (got {len(key)})",
            _example_fix("access_key_id"),
        )
    if not _secret_shaped(secret):  # never echoed, not even in an error
        raise Invalid(
            f"secret_access_key: should be 1-{_SECRET_MAX} printable ASCII characters without "
            "spaces (the value is not shown)",
            "pipe the secret exactly as your store shows it: ... --secret-access-key-stdin < FILE",
        )
    assert isinstance(secret, str)
    return S3Credentials(key, secret)


def _secret_shaped(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= _SECRET_MAX
        and value.isascii()
        and value.isprintable()
        and not any(c.isspace() for c in value)
    )


def _example_fix(name: str) -> str:
    return f"use e.g. {_EXAMPLES[name]!r}" if name in _EXAMPLES else f"see: {SET} --help"
