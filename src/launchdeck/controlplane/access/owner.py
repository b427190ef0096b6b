"""The owner token: the admin token the daemon writes to `$LAUNCHDECK_HOME/api.json` for the CLI
on its own host. One object holds it so an admin can replace it while the API runs
(`launchdeck tokens rotate-owner`, `POST /v1/tokens/owner`); from then on only the new one is
accepted, and the daemon reads it back from api.json when it restarts."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from launchdeck.controlplane.access.auth import new_token, same_token
from launchdeck.system import atomic_write


@dataclass(frozen=True)
class Credentials:
    """Where the CLI on the daemon's host finds the API: api.json, mode 0600."""

    path: Path
    url: str

    def write(self, token: str) -> None:
        payload = {"url": self.url, "token": token, "pid": os.getpid()}
        atomic_write(self.path, json.dumps(payload, indent=2) + "\n", mode=0o600)


class OwnerToken:
    """The current owner token; `credentials` is where a rotation writes it (None in tests that
    only need a fixed token)."""

    def __init__(self, value: str, credentials: Credentials | None = None) -> None:
        self._value = value
        self.credentials = credentials
        self._lock = threading.Lock()

    @classmethod
    def of(cls, token: str | OwnerToken) -> OwnerToken:
        return token if isinstance(token, OwnerToken) else cls(token)

    def matches(self, given: str) -> bool:
        return bool(given) and same_token(given, self._value)

    def rotate(self) -> str:
        """A new token. It is written to api.json before it replaces the old one: if the write
        fails, the old token still works and is still the one in the file."""
        with self._lock:
            fresh = new_token()
            if self.credentials is not None:
                self.credentials.write(fresh)
            self._value = fresh
            return fresh
