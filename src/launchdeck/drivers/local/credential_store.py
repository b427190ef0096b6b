"""Passwords the add-on drivers generate, one file per name (mode 0600) in a directory only the
control plane can read.

A server keeps only a hash, so the plain password lives here: asking twice for the same name
returns the same password, which keeps `ensure_*` calls idempotent and running instances working.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from launchdeck.domain import NAME_RE
from launchdeck.drivers.local.addon_errors import InvalidAddonInput
from launchdeck.system import atomic_write

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}$")


def environment_key(app: str, env: str) -> str:
    """`<app>_<env>`: the role, database and Redis user of one app environment. Unambiguous,
    since names never contain '_'."""
    for what, value in (("app", app), ("environment", env)):
        if not NAME_RE.fullmatch(value):
            raise InvalidAddonInput(
                f"{what} name {value!r} cannot name an add-on user: use 1-30 lowercase letters, "
                "digits and '-', starting with a letter"
            )
    return f"{app}_{env}"


def new_password() -> str:
    """32 URL-safe characters (192 bits): usable in a URL without escaping."""
    return secrets.token_urlsafe(24)


class CredentialStore:
    def __init__(self, directory: Path, *, generate: Callable[[], str] = new_password) -> None:
        self.directory = directory
        self._generate = generate

    def get(self, name: str) -> str | None:
        try:
            return self._path(name).read_text().strip() or None
        except FileNotFoundError:
            return None

    def get_or_create(self, name: str) -> str:
        existing = self.get(name)
        if existing is not None:
            return existing
        password = self._generate()
        self._ensure_dir()
        atomic_write(self._path(name), password + "\n", mode=0o600)
        return password

    def forget(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if _NAME.fullmatch(p.name))

    def copy_to(self, directory: Path) -> CredentialStore:
        """A copy for a restored server: its catalog holds the same password hashes."""
        other = CredentialStore(directory, generate=self._generate)
        other._ensure_dir()
        for name in self.names():
            shutil.copy2(self._path(name), other._path(name))
        return other

    def _ensure_dir(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise InvalidAddonInput(
                f"credential name {name!r} is not valid: use lowercase letters, digits, '-' and '_'"
            )
        return self.directory / name
