"""Secret config values: encrypted at rest, decrypted only to start an instance, and redacted
from every log line launchdeck stores or shows.

The key is Fernet's (AES-128-CBC + HMAC-SHA256): `LAUNCHDECK_SECRET_KEY` when set (so the key can
live in a secret manager, away from the database), else `$LAUNCHDECK_HOME/secret.key`, created
0600 on first use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from launchdeck.controlplane.errors import Invalid

KEY_VAR = "LAUNCHDECK_SECRET_KEY"
KEY_FILE = "secret.key"
MASK = "********"
MIN_REDACTED = 4  # shorter values would blank out ordinary words in the logs


class Keyring:
    def __init__(self, home: Path, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._fernet = Fernet(_key(home, env))

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise Invalid(
                "a secret config value cannot be decrypted with this key",
                f"set {KEY_VAR} (or $LAUNCHDECK_HOME/{KEY_FILE}) to the key it was stored with",
            ) from None

    def decrypt_all(self, stored: Mapping[str, str]) -> dict[str, str]:
        return {key: self.decrypt(value) for key, value in stored.items()}


def _key(home: Path, environ: Mapping[str, str]) -> bytes:
    given = environ.get(KEY_VAR)
    if given:
        try:
            Fernet(given.encode())
        except ValueError:
            raise Invalid(
                f"{KEY_VAR} is not a valid key (32 url-safe base64-encoded bytes)",
                'make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"',
            ) from None
        return given.encode()
    path = home / KEY_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    return key


class Redactor:
    """Replaces every secret value in a line with `[REDACTED:KEY]`."""

    def __init__(self, secrets: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        pairs = secrets.items() if isinstance(secrets, Mapping) else secrets
        values = sorted(
            ((v, k) for k, v in pairs if len(v) >= MIN_REDACTED),
            key=lambda item: -len(item[0]),  # longest first: one secret may contain another
        )
        self._names = {v: k for v, k in values}
        self._pattern = re.compile("|".join(re.escape(v) for v, _ in values)) if values else None

    def __call__(self, line: str) -> str:
        if self._pattern is None:
            return line
        return self._pattern.sub(lambda m: f"[REDACTED:{self._names[m.group(0)]}]", line)


def masked(keys: Iterable[str]) -> dict[str, str]:
    return dict.fromkeys(keys, MASK)
