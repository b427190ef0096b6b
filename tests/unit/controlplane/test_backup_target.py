"""The host's backup target: stored 0600 with its secret encrypted, read back whole, and every
field an admin sends checked with the field, the value and the fix in the error."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from launchdeck.controlplane.access.secrets import Keyring
from launchdeck.controlplane.databases.target import (
    BackupTarget,
    BackupTargetFile,
    TargetUnreadable,
    parse_target,
)
from launchdeck.controlplane.errors import Invalid
from launchdeck.domain import BackupCopy
from launchdeck.domain.backups import S3Credentials

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TARGET = BackupTarget(
    BackupCopy("shop-backups", "launchdeck/", "http://127.0.0.1:9000", "eu-west-1"),
    S3Credentials("AKIDADMIN", SECRET),
)


def keyring(home: Path) -> Keyring:
    return Keyring(home, environ={})


def test_no_file_is_no_target(tmp_path: Path) -> None:
    assert BackupTargetFile(tmp_path, keyring(tmp_path)).get() is None


def test_the_target_is_stored_0600_with_its_secret_encrypted_and_read_back(tmp_path: Path) -> None:
    setting = BackupTargetFile(tmp_path, keyring(tmp_path))

    setting.set(TARGET)

    path = tmp_path / "backup-target.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert SECRET not in text and "wJalrXUtnFEMI" not in text
    stored = json.loads(text)
    assert stored["access_key_id"] == "AKIDADMIN" and stored["bucket"] == "shop-backups"
    assert keyring(tmp_path).decrypt(stored["secret_access_key_encrypted"]) == SECRET
    assert BackupTargetFile(tmp_path, keyring(tmp_path)).get() == TARGET
    assert SECRET not in repr(TARGET)  # nor in a log line that prints the target


def test_without_credentials_none_are_stored(tmp_path: Path) -> None:
    setting = BackupTargetFile(tmp_path, keyring(tmp_path))
    setting.set(BackupTarget(BackupCopy("shop-backups")))

    assert setting.get() == BackupTarget(BackupCopy("shop-backups"), None)
    assert json.loads(setting.path.read_text())["secret_access_key_encrypted"] is None


def test_unset_removes_it(tmp_path: Path) -> None:
    setting = BackupTargetFile(tmp_path, keyring(tmp_path))
    setting.set(TARGET)

    assert setting.unset() is True
    assert setting.get() is None and not setting.path.exists()
    assert setting.unset() is False


def test_public_json_never_has_the_secret() -> None:
    shown = TARGET.public_json()
    assert shown == {
        "configured": True,
        "bucket": "shop-backups",
        "prefix": "launchdeck/",
        "endpoint": "http://127.0.0.1:9000",
        "region": "eu-west-1",
        "url": "s3://shop-backups/launchdeck/",
        "access_key_id": "AKIDADMIN",
        "credentials_set": True,
    }
    assert SECRET not in json.dumps(shown)


def test_a_damaged_file_or_another_key_is_unreadable_with_a_fix(tmp_path: Path) -> None:
    setting = BackupTargetFile(tmp_path, keyring(tmp_path))
    setting.set(TARGET)
    other = Keyring(tmp_path, environ={"LAUNCHDECK_SECRET_KEY": Fernet.generate_key().decode()})

    with pytest.raises(TargetUnreadable) as caught:
        BackupTargetFile(tmp_path, other).get()
    assert str(caught.value) == (
        "the backup target's secret access key cannot be decrypted (a secret config value "
        "cannot be decrypted with this key); fix: set LAUNCHDECK_SECRET_KEY (or "
        "$LAUNCHDECK_HOME/secret.key) to the key it was stored with, or set the target "
        "again: launchdeck db backups target set ..."
    )

    setting.path.write_text("{not json")
    with pytest.raises(TargetUnreadable) as caught:
        setting.get()
    assert str(caught.value) == (
        "the backup target setting ($LAUNCHDECK_HOME/backup-target.json) is damaged (Expecting "
        "property name enclosed in double quotes: line 1 column 2 (char 1)); fix: set the "
        "target again: launchdeck db backups target set ..."
    )


# -- what an admin sends ------------------------------------------------------------------------


def test_a_full_target_is_parsed_and_the_prefix_becomes_a_folder() -> None:
    assert parse_target(
        {"bucket": "shop-backups", "prefix": "launchdeck", "endpoint": "http://127.0.0.1:9000/",
         "region": "eu-west-1", "access_key_id": "AKIDADMIN", "secret_access_key": SECRET}
    ) == TARGET  # fmt: skip
    assert parse_target({"bucket": "b-1"}) == BackupTarget(BackupCopy("b-1"))
    assert parse_target(
        {"bucket": "b-1", "prefix": "", "endpoint": None, "region": "", "access_key_id": None}
    ) == BackupTarget(BackupCopy("b-1"))


@pytest.mark.parametrize(
    ("body", "error", "fix"),
    [
        ({}, "bucket: is required", "e.g. launchdeck db backups target set --bucket shop-backups"),
        ({"bucket": "Shop_Backups"}, "bucket: should be an S3 bucket name: 3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (got 'Shop_Backups')", "use 'shop-backups'"),
        ({"bucket": "shop-backups\n"}, "bucket: should have no spaces, control or non-ASCII characters (got 'shop-backups\\n')", "use e.g. 'shop-backups'"),
        ({"bucket": 7}, "bucket: should be a string (got 7)", "use e.g. 'shop-backups'"),
        ({"bucket": "b-1", "prefix": "/launchdeck/"}, "prefix: should be an S3 key prefix like 'launchdeck/' (no leading '/', no '//') (got '/launchdeck/')", "use 'launchdeck/'"),
        ({"bucket": "b-1", "endpoint": "minio:9000"}, "endpoint: should be the http(s) URL of an S3-compatible endpoint, without a path (got 'minio:9000')", "use e.g. 'https://s3.eu-west-1.amazonaws.com' or 'http://127.0.0.1:9000' (MinIO)"),
        ({"bucket": "b-1", "endpoint": "ftp://h"}, "endpoint: should be the http(s) URL of an S3-compatible endpoint, without a path (got 'ftp://h')", "use e.g. 'https://s3.eu-west-1.amazonaws.com' or 'http://127.0.0.1:9000' (MinIO)"),
        ({"bucket": "b-1", "endpoint": "http://key:secret@h:9000"}, "endpoint: should be a plain http(s) URL, without user, query or fragment (got 'http://key:secret@h:9000')", "give credentials with --access-key-id and --secret-access-key-stdin; use e.g. 'http://127.0.0.1:9000'"),
        ({"bucket": "b-1", "region": "EU_WEST_1"}, "region: should be an AWS region code like 'us-east-1' (got 'EU_WEST_1')", "use 'eu-west-1'"),
        ({"bucket": "b-1", "region": "eu-west-1\n"}, "region: should have no spaces, control or non-ASCII characters (got 'eu-west-1\\n')", "use e.g. 'eu-west-1'"),
        ({"bucket": "b-1", "access_key_id": "AKID"}, "secret_access_key: is required with access_key_id", "give both (--access-key-id ID --secret-access-key-stdin), or neither to sign with the control plane's own AWS credentials"),
        ({"bucket": "b-1", "secret_access_key": SECRET}, "access_key_id: is required with secret_access_key", "give both (--access-key-id ID --secret-access-key-stdin), or neither to sign with the control plane's own AWS credentials"),
        ({"bucket": "b-1", "access_key_id": "AK ID", "secret_access_key": SECRET}, "access_key_id: should have no spaces, control or non-ASCII characters (got 'AK ID')", "use e.g. 'AKIAIOSFODNN7EXAMPLE'"),
        ({"bucket": "b-1", "access_key_id": "AKID", "secret_access_key": "se cret"}, "secret_access_key: should be 1-256 printable ASCII characters without spaces (the value is not shown)", "pipe the secret exactly as your store shows it: ... --secret-access-key-stdin < FILE"),
        ({"bucket": "b-1", "acces_key_id": "AKID"}, "acces_key_id: unknown setting (got 'acces_key_id')", "use only: bucket, prefix, endpoint, region, access_key_id, secret_access_key"),
    ],
    ids=["no-bucket", "bucket", "bucket-newline", "bucket-type", "prefix", "endpoint", "scheme",
         "userinfo", "region", "region-newline", "no-secret", "no-key-id", "key-id", "secret",
         "unknown"],
)  # fmt: skip
def test_a_bad_field_is_refused_naming_it_the_value_and_the_fix(
    body: dict[str, object], error: str, fix: str
) -> None:
    with pytest.raises(Invalid) as caught:
        parse_target(body)
    assert (caught.value.message, caught.value.fix) == (error, fix)
    assert "se cret" not in caught.value.message
