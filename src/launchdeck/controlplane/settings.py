"""Where the control plane keeps its state and which ports it uses; read once, from environ."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from launchdeck.manifest.values.units import BadValue, Durations


class SettingsError(ValueError):
    pass


DEFAULT_MAX_SCALE = 64
# how long metrics.db keeps its 10 s, 1 min and 1 h points
DEFAULT_RETENTION = (24 * 3600.0, 14 * 86400.0, 90 * 86400.0)
_RETENTION = Durations(("m", "h", "d", "w"), "14d", bare_seconds=False, help="a time like '14d'")


@dataclass(frozen=True)
class Settings:
    home: Path
    api_port: int = 7070
    http_port: int = 8080
    port_range: tuple[int, int] = (20000, 29999)
    bind: str = "127.0.0.1"
    reconcile_interval: float = 1.0  # and at once when a child process exits
    keep_builds: int = 10
    addons_dir: Path | None = None  # add-on servers' data; default: see `addons`
    apps_dir: Path | None = None  # builds and app accounts' homes; default: see `apps`
    max_scale: int = DEFAULT_MAX_SCALE  # most instances `scale` (or a manifest) gives a service
    api_docs: bool = False  # serve /docs, /redoc and /openapi.json: the API's shape, no data
    request_metrics: bool = True  # HAProxy logs every request to the control plane
    metrics_retention: tuple[float, float, float] = DEFAULT_RETENTION  # 10 s, 1 min, 1 h points

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("LAUNCHDECK_HOME") or Path.home() / ".launchdeck").expanduser()
        return cls(
            home=home.resolve(),
            api_port=_port(env, "LAUNCHDECK_API_PORT", 7070),
            http_port=_port(env, "LAUNCHDECK_HTTP_PORT", 8080),
            port_range=_range(env.get("LAUNCHDECK_PORT_RANGE") or "20000-29999"),
            addons_dir=_dir(env, "LAUNCHDECK_ADDONS_DIR"),
            apps_dir=_dir(env, "LAUNCHDECK_APPS_DIR"),
            max_scale=_max_scale(env.get("LAUNCHDECK_MAX_SCALE") or str(DEFAULT_MAX_SCALE)),
            api_docs=_switch(env, "LAUNCHDECK_API_DOCS"),
            request_metrics=_switch(env, "LAUNCHDECK_REQUEST_METRICS", default=True),
            metrics_retention=_retention(env.get("LAUNCHDECK_METRICS_RETENTION") or ""),
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
        return Path("/var/lib/launchdeck") / f"addons-{_home_id(self.home)}"

    @property
    def apps(self) -> Path:
        """Builds and the homes of app accounts: `LAUNCHDECK_APPS_DIR` if set. App code may not
        pass through the home (0700), so as root they live under /var/lib/launchdeck; as
        another user, app code runs as that user and the home's `apps` does."""
        if self.apps_dir is not None:
            return self.apps_dir
        if os.geteuid() != 0:
            return self.home / "apps"
        return Path("/var/lib/launchdeck") / f"apps-{_home_id(self.home)}"

    @property
    def api_url(self) -> str:
        return f"http://{self.bind}:{self.api_port}"

    @property
    def db(self) -> Path:
        return self.home / "launchdeck.db"

    @property
    def metrics_db(self) -> Path:
        return self.home / "metrics.db"

    @property
    def credentials(self) -> Path:
        return self.home / "api.json"

    @property
    def pidfile(self) -> Path:
        return self.home / "server.pid"

    @property
    def server_log(self) -> Path:
        return self.home / "server.log"


def _home_id(home: Path) -> str:
    return hashlib.sha256(str(home).encode()).hexdigest()[:12]


def _dir(env: Mapping[str, str], name: str) -> Path | None:
    return Path(env[name]).expanduser().resolve() if env.get(name) else None


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


def _max_scale(raw: str) -> int:
    if not (raw.isascii() and raw.isdecimal() and int(raw) >= 1):
        raise SettingsError(
            f"LAUNCHDECK_MAX_SCALE: should be a whole number of instances, 1 or more (got {raw!r})"
        )
    return int(raw)


def _retention(raw: str) -> tuple[float, float, float]:
    """`24h,14d,90d`: how long 10 s, 1 min and 1 h points are kept, each at least as long as
    the one before (a roll-up needs the finer points it is made of)."""
    if not raw:
        return DEFAULT_RETENTION
    name, default = "LAUNCHDECK_METRICS_RETENTION", "24h,14d,90d"
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) != 3:
        raise SettingsError(
            f"{name}: should be three times, for the 10s, 1m and 1h points (got {raw!r}); "
            f"fix: e.g. {default}"
        )
    try:
        first, second, third = (_RETENTION.seconds(part) for part in parts)
    except BadValue as exc:
        raise SettingsError(f"{name}: {exc.message} (got {raw!r}); fix: {exc.fix}") from None
    if not 3600 <= first <= second <= third:
        raise SettingsError(
            f"{name}: each should be at least 1h and at least as long as the one before "
            f"(got {raw!r}); fix: e.g. {default}"
        )
    return first, second, third


def _switch(env: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    """`1` turns it on, `0` off, unset leaves the default. Nothing else, so a typo is not read
    as either."""
    raw = env.get(name) or ("1" if default else "0")
    if raw not in ("0", "1"):
        raise SettingsError(f"{name}: should be 1 (on) or 0 (off) (got {raw!r})")
    return raw == "1"
