"""The add-on servers of this host and each environment's attachment to them.

PostgreSQL: one cluster per major version (`<root>/postgres/<major>`), one role and database per
app environment. Redis: one server per app environment (`<root>/redis/<app>-<env>`), so an app
uses its keys as it likes and `FLUSHALL` empties its own data only. Each server keeps the port it
was first given (a `port` file beside its data), so URLs stay valid across restarts; ports come
from the instance range and are reported as reserved so no instance is ever given one.

Everything here is serialized by one lock: the reconciler's `ensure_running` and a deploy's
`attach` never start the same server twice.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from launchdeck.domain import Addons
from launchdeck.drivers.local.addon_errors import AddonError
from launchdeck.drivers.local.credential_store import environment_key
from launchdeck.drivers.local.ports import PortAllocator
from launchdeck.drivers.local.postgres import (
    PostgresCluster,
    find_postgres,
    installed_versions,
    open_cluster,
)
from launchdeck.drivers.local.redis import RedisServer
from launchdeck.system import Runner, atomic_write

__all__ = ["AddonError", "AddonHost", "Attachment"]


@dataclass(frozen=True)
class Attachment:
    kind: str  # "postgres" | "redis"
    version: str
    var: str  # the config var it sets: DATABASE_URL | REDIS_URL
    url: str
    name: str  # the database or server it is
    running: bool


class AddonHost:
    def __init__(
        self,
        root: Path,
        *,
        ports: PortAllocator,
        in_use: Callable[[], Collection[int]] = frozenset,
        runner: Runner | None = None,
    ) -> None:
        self.root = root
        self._ports = ports
        self._in_use = in_use
        self._runner = runner
        self._lock = threading.RLock()
        self._clusters: dict[str, PostgresCluster] = {}
        self._redis: dict[str, RedisServer] = {}

    # -- attaching ---------------------------------------------------------------------------

    def attach(self, app: str, env: str, addons: Addons) -> list[Attachment]:
        """Start what `addons` asks for (creating it the first time) and give `app`/`env` its
        own database and server; the attachments carry the URLs to set."""
        found: list[Attachment] = []
        with self._lock:
            if addons.postgres is not None:
                cluster = self.postgres(addons.postgres.version)
                creds = cluster.ensure_database(app, env)
                found.append(
                    Attachment(
                        "postgres",
                        cluster.binaries.version,
                        "DATABASE_URL",
                        cluster.database_url(creds),
                        creds.database,
                        True,
                    )
                )
            if addons.redis is not None:
                server = self.redis(app, env)
                name = f"{app}-{env}"
                found.append(Attachment("redis", "", "REDIS_URL", server.redis_url(), name, True))
        return found

    def postgres(self, version: str | None) -> PostgresCluster:
        """The running cluster of `version` (None: the newest installed major)."""
        with self._lock:
            major = version or _newest_postgres()
            cluster = self._clusters.get(major)
            if cluster is None:
                root = self.root / "postgres" / major
                root.mkdir(parents=True, exist_ok=True)
                port = self._port(root)
                cluster = open_cluster(major, root=root, port=port, runner=self._runner)
                self._clusters[major] = cluster
            if not cluster.initialized():
                cluster.init()
            cluster.ensure_running()
            return cluster

    def redis(self, app: str, env: str) -> RedisServer:
        with self._lock:
            key = f"{app}-{env}"
            server = self._redis.get(key)
            if server is None:
                root = self.root / "redis" / key
                root.mkdir(parents=True, exist_ok=True)
                server = RedisServer(root, port=self._port(root), runner=self._runner)
                self._redis[key] = server
            server.ensure_running()
            return server

    def detach(self, app: str, env: str) -> None:
        """Drop the environment's database and role, stop and remove its Redis."""
        with self._lock:
            for cluster in self._known_clusters():
                if environment_key(app, env) in cluster.app_databases():
                    cluster.drop_database(app, env)
            root = self.root / "redis" / f"{app}-{env}"
            server = self._redis.pop(f"{app}-{env}", None)
            if server is None and root.is_dir():
                server = RedisServer(root, port=self._read_port(root) or 0, runner=self._runner)
            if server is not None:
                server.stop()
            shutil.rmtree(root, ignore_errors=True)

    def attachments(self, app: str, env: str) -> list[Attachment]:
        """What `app`/`env` is attached to now, without starting anything."""
        found = []
        with self._lock:
            key = environment_key(app, env)
            for cluster in self._known_clusters():
                running = cluster.alive()
                if running and key in cluster.app_databases():
                    creds = cluster.ensure_database(app, env)
                    url, major = cluster.database_url(creds), cluster.binaries.version
                    found.append(Attachment("postgres", major, "DATABASE_URL", url, key, running))
            server = self._known_redis().get(f"{app}-{env}")
            if server is not None:
                url, name = server.redis_url(), f"{app}-{env}"
                found.append(Attachment("redis", "", "REDIS_URL", url, name, server.alive()))
        return found

    # -- keeping them up ---------------------------------------------------------------------

    def ensure_running(self) -> list[str]:
        """Restart every add-on server that was created here and is not running; returns what
        was restarted. A server that fails to start is retried on the next call."""
        restarted = []
        with self._lock:
            for cluster in self._known_clusters():
                if cluster.initialized() and not cluster.alive():
                    cluster.ensure_running()
                    restarted.append(f"PostgreSQL {cluster.binaries.version}")
            for key, server in self._known_redis().items():
                if not server.alive():
                    server.ensure_running()
                    restarted.append(f"Redis {key}")
        return restarted

    def stop_all(self) -> None:
        with self._lock:
            for cluster in self._known_clusters():
                cluster.stop()
            for server in self._known_redis().values():
                server.stop()

    def reserved_ports(self) -> set[int]:
        return {p for p in (self._read_port(f.parent) for f in self.root.glob("*/*/port")) if p}

    # -- bookkeeping -------------------------------------------------------------------------

    def _known_clusters(self) -> list[PostgresCluster]:
        for root in sorted(self.root.glob("postgres/*")):
            major = root.name
            if major not in self._clusters and (root / "port").is_file():
                port = self._read_port(root) or 0
                cluster = open_cluster(major, root=root, port=port, runner=self._runner)
                self._clusters[major] = cluster
        return list(self._clusters.values())

    def _known_redis(self) -> dict[str, RedisServer]:
        for root in sorted(self.root.glob("redis/*")):
            if root.name not in self._redis and (root / "port").is_file():
                port = self._read_port(root) or 0
                self._redis[root.name] = RedisServer(root, port=port, runner=self._runner)
        return dict(self._redis)

    def _port(self, root: Path) -> int:
        port = self._read_port(root)
        if port is None:
            port = self._ports.allocate(set(self._in_use()) | self.reserved_ports())
            atomic_write(root / "port", f"{port}\n")
        return port

    @staticmethod
    def _read_port(root: Path) -> int | None:
        try:
            return int((root / "port").read_text())
        except (OSError, ValueError):
            return None


def _newest_postgres() -> str:
    versions = installed_versions()
    if not versions:
        find_postgres("16")  # raises AddonNotInstalled, naming the package
    return versions[-1]
