from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from launchdeck.controlplane.access.secrets import KEY_FILE, Keyring, Redactor
from launchdeck.controlplane.errors import Invalid


def test_the_key_file_is_created_0600_once_and_reused(tmp_path: Path) -> None:
    one = Keyring(tmp_path, environ={})
    stored = one.encrypt("s3cr3t-value")
    assert "s3cr3t" not in stored
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert Keyring(tmp_path, environ={}).decrypt(stored) == "s3cr3t-value"


def test_a_key_from_the_environment_wins_and_no_file_is_written(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    ring = Keyring(tmp_path, environ={"LAUNCHDECK_SECRET_KEY": key})
    assert (
        Keyring(tmp_path / "other", environ={"LAUNCHDECK_SECRET_KEY": key}).decrypt(
            ring.encrypt("x")
        )
        == "x"
    )
    assert not (tmp_path / KEY_FILE).exists()


def test_a_wrong_key_says_which_key_is_needed(tmp_path: Path) -> None:
    stored = Keyring(tmp_path / "a", environ={}).encrypt("x")
    with pytest.raises(Invalid) as caught:
        Keyring(tmp_path / "b", environ={}).decrypt(stored)
    assert caught.value.message == "a secret config value cannot be decrypted with this key"


def test_a_malformed_key_in_the_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid) as caught:
        Keyring(tmp_path, environ={"LAUNCHDECK_SECRET_KEY": "short"})
    assert caught.value.message.startswith("LAUNCHDECK_SECRET_KEY is not a valid key")


def test_redaction_names_the_key_and_prefers_the_longest_match() -> None:
    redact = Redactor({"API_KEY": "abcd1234", "LONG": "abcd1234-extra", "PIN": "42"})
    assert redact("key=abcd1234-extra and abcd1234, pin 42") == (
        "key=[REDACTED:LONG] and [REDACTED:API_KEY], pin 42"
    )
    assert Redactor({})("nothing to hide") == "nothing to hide"
