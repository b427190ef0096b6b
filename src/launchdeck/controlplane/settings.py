"""Where the control plane keeps its state and which ports it uses; read once, from environ."""

from __future__ import annotations

import hashlib
import os
import stat
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
    addons_dir: Path | None = None  # add-on servers' data; default: see `addons`

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("LAUNCHDECK_HOME") or Path.home() / ".launchdeck").expanduser()
        return cls(
            home=home.resolve(),
            api_port=_port(env, "LAUNCHDECK_API_PORT", 7070),
            http_port=_port(env, "LAUNCHDECK_HTTP_PORT", 8080),
            port_range=_range(env.get("LAUNCHDECK_PORT_RANGE") or "20000-29999"),
            addons_dir=Path(env["LAUNCHDECK_ADDONS_DIR"]).expanduser().resolve()
            if env.get("LAUNCHDECK_ADDONS_DIR")
            else None,
        )

    @property
    def addons(self) -> Path:
        """`$LAUNCHDECK_HOME/addons`, unless set. As root, PostgreSQL runs as the `postgres`
        account, which must be able to reach its data: when a directory above the home keeps
        it out (root's own home is 0700), the data goes under /var/lib/launchdeck instead."""
        if self.addons_dir is not None:
            return self.addons_dir
        inside = self.home / "addons"
        if os.geteuid() != 0 or _searchable_by_others(self.home):
            return inside
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
        return Path("/var/lib/launchdeck") / f"addons-{digest}"

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


def _searchable_by_others(path: Path) -> bool:
    for directory in (path, *path.parents):
        try:
            if directory.exists() and not directory.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


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
