"""Where the control plane keeps its state and which ports it uses; read once, from environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    home: Path
    api_port: int = 7070
    http_port: int = 8080
    port_range: tuple[int, int] = (20000, 29999)
    bind: str = "127.0.0.1"
    reconcile_interval: float = 0.5
    keep_builds: int = 10

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("LAUNCHDECK_HOME") or Path.home() / ".launchdeck").expanduser()
        return cls(
            home=home.resolve(),
            api_port=_port(env, "LAUNCHDECK_API_PORT", 7070),
            http_port=_port(env, "LAUNCHDECK_HTTP_PORT", 8080),
            port_range=_range(env.get("LAUNCHDECK_PORT_RANGE") or "20000-29999"),
        )

    @property
    def api_url(self) -> str:
        return f"http://{self.bind}:{self.api_port}"

    @property
    def db(self) -> Path:
        return self.home / "launchdeck.db"

    @property
    def credentials(self) -> Path:
        return self.home / "api.json"

    @property
    def pidfile(self) -> Path:
        return self.home / "server.pid"

    @property
    def server_log(self) -> Path:
        return self.home / "server.log"


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdecimal() or not 1 <= int(raw) <= 65535:
        raise SettingsError(f"{name}: should be a port number 1-65535 (got {raw!r})")
    return int(raw)


def _range(raw: str) -> tuple[int, int]:
    first, _, last = raw.partition("-")
    if not (first.isdecimal() and last.isdecimal() and 1024 <= int(first) < int(last) <= 65535):
        raise SettingsError(
            f"LAUNCHDECK_PORT_RANGE: should be FIRST-LAST within 1024-65535 (got {raw!r})"
        )
    return int(first), int(last)
