"""The add-on servers of this host and each environment's attachment to them.

PostgreSQL: one cluster per major version (`<root>/postgres/<major>`), one role and database per
app environment; a restore moves an environment into a cluster of its own
(`<root>/postgres/<major>/restores/<id>`, see postgres_fleet), which is kept running like the
others and found again after a restart. Redis: one server per app environment
(`<root>/redis/<app>-<env>`), so an app uses its keys as it likes and `FLUSHALL` empties its own
data only. Each server keeps the port it was first given (a `port` file beside its data), so URLs
stay valid across restarts; ports come from the instance range and are reported as reserved so
no instance is ever given one.

Everything here is serialized by one lock: the reconciler's `ensure_running` and a deploy's
`attach` never start the same server twice.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from launchdeck.domain import Addons, Attachment, PostgresAddon
from launchdeck.domain.databases import Prunable, Stint
from launchdeck.drivers.local.addon_errors import InvalidAddonInput
from launchdeck.drivers.local.credential_store import environment_key
from launchdeck.drivers.local.ports import PortAllocator
from launchdeck.drivers.local.postgres.backups import Backups
from launchdeck.drivers.local.postgres.cluster import (
    Credentials,
    PostgresCluster,
    find_postgres,
    installed_versions,
)
from launchdeck.drivers.local.postgres.copy import DatabaseCopy
from launchdeck.drivers.local.postgres.fleet import Fleet, is_restore, major_of
from launchdeck.drivers.local.postgres.places import Placement, Placements
from launchdeck.drivers.local.postgres.restores import (
    Restored,
    plan_prune,
    prune,
    restore_environment,
)
from launchdeck.drivers.local.redis.server import RedisServer
from launchdeck.system import SYSTEM_CLOCK, Clock, Runner, atomic_write, passable_dirs

__all__ = ["AddonHost", "Attachment", "ClusterUse", "Database", "Prunable"]


@dataclass(frozen=True)
class Database:
    """Where one environment's database lives now."""

    cluster_name: str  # "15" or "15/restores/<id>"
    cluster: PostgresCluster
    creds: Credentials

    @property
    def url(self) -> str:
        return self.cluster.database_url(self.creds)


@dataclass(frozen=True)
class ClusterUse:
    """A cluster and the environments whose databases live in it now."""

    name: str
    cluster: PostgresCluster
    environments: tuple[tuple[str, str], ...]  # (app, env)
    settings: tuple[PostgresAddon, ...]  # what those environments' last deploys asked for


class AddonHost:
    def __init__(
        self,
        root: Path,
        *,
        ports: PortAllocator,
        in_use: Callable[[], Collection[int]] = frozenset,
        runner: Runner | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.root = root
        passable_dirs(root)  # the server accounts pass through to their own directories
        os.chmod(root, 0o711)  # also when an older version made it with our umask
        self._ports = ports
        self._in_use = in_use
        self._runner = runner
        self._clock = clock
        self._lock = threading.RLock()
        self._redis: dict[str, RedisServer] = {}
        pg = root / "postgres"
        self.fleet = Fleet(pg, port_of=self._port, read_port=self._read_port, runner=runner,
                           clock=clock)  # fmt: skip
        self.placements = Placements(pg)

    # -- attaching ---------------------------------------------------------------------------

    def attach(self, app: str, env: str, addons: Addons) -> list[Attachment]:
        """Start what `addons` asks for (creating it the first time) and give `app`/`env` its
        own database and server; the attachments carry the URLs to set."""
        found: list[Attachment] = []
        with self._lock:
            if addons.postgres is not None:
                cluster = self._home(app, env, addons.postgres.version)
                creds = cluster.ensure_database(app, env)
                self.placements.record_settings(environment_key(app, env), addons.postgres)
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
        """The running main cluster of `version` (None: the newest installed major)."""
        with self._lock:
            major = version or _newest_postgres()
            find_postgres(major)  # names the package when it is missing
            cluster = self.fleet.main(major)
            if not cluster.initialized():
                cluster.init()
            cluster.ensure_running()
            return cluster

    def _home(self, app: str, env: str, version: str | None) -> PostgresCluster:
        """The running cluster that holds (or will hold) the environment's database: where a
        restore moved it, unless the manifest now asks for another major version."""
        key = environment_key(app, env)
        current = self.placements.get(key).current
        if current is not None and (version is None or major_of(current) == version):
            cluster = self.fleet.get(current)
            if cluster is not None:
                cluster.ensure_running()
                return cluster
        cluster = self.postgres(version)
        if current is not None and current != cluster.binaries.version:
            self.placements.move(key, cluster.binaries.version, self._clock.now(), first=current)
        return cluster

    def redis(self, app: str, env: str) -> RedisServer:
        with self._lock:
            key = f"{app}-{env}"
            server = self._redis.get(key)
            if server is None:
                root = self.root / "redis" / key
                passable_dirs(root)
                server = RedisServer(root, port=self._port(root), runner=self._runner)
                self._redis[key] = server
            server.ensure_running()
            return server

    def detach(self, app: str, env: str) -> None:
        """Drop the environment's database and role, stop and remove its Redis."""
        with self._lock:
            for cluster in self.fleet.known().values():
                if cluster.alive() and environment_key(app, env) in cluster.app_databases():
                    cluster.drop_database(app, env)
            self.placements.forget(environment_key(app, env))
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
            database = self._database(app, env, start=False)
            if database is not None:
                major = database.cluster.binaries.version
                url = database.url
                found.append(Attachment("postgres", major, "DATABASE_URL", url, key, True))
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
            for name, cluster in self.fleet.known().items():
                if cluster.initialized() and not cluster.alive():
                    cluster.ensure_running()
                    restarted.append(f"PostgreSQL {name}")
            for key, server in self._known_redis().items():
                if not server.alive():
                    server.ensure_running()
                    restarted.append(f"Redis {key}")
        return restarted

    def stop_all(self) -> None:
        with self._lock:
            for cluster in self.fleet.known().values():
                cluster.stop()
            for server in self._known_redis().values():
                server.stop()

    def clean_scratch(self) -> list[str]:
        """Verification clusters left by a control plane that died mid-verify: stopped, gone."""
        with self._lock:
            return self.fleet.clean_scratch()

    def reserved_ports(self) -> set[int]:
        files = [*self.root.glob("redis/*/port"), *self.fleet.reserved_port_files()]
        return {p for p in (self._read_port(f.parent) for f in files) if p}

    # -- databases, backups, restores ---------------------------------------------------------

    def database(self, app: str, env: str) -> Database:
        """Where the environment's database lives now (its cluster started if need be)."""
        with self._lock:
            database = self._database(app, env, start=True)
        if database is None:
            raise InvalidAddonInput(
                f"{app}/{env} has no PostgreSQL database",
                "add [addons.postgres] to launchdeck.toml and deploy, or: launchdeck addons "
                f"create postgres --app {app} --env {env}",
            )
        return database

    def _database(self, app: str, env: str, *, start: bool) -> Database | None:
        key = environment_key(app, env)
        current = self.placements.get(key).current
        clusters = self.fleet.known()
        if current is not None and current in clusters:
            candidates = {current: clusters[current]}
        else:
            candidates = {n: c for n, c in clusters.items() if not is_restore(n)}
        for name, cluster in candidates.items():
            if start and cluster.initialized():
                cluster.ensure_running()
            if cluster.alive() and key in cluster.app_databases():
                return Database(name, cluster, cluster.ensure_database(app, env))
        return None

    def history(self, app: str, env: str) -> list[Stint]:
        """The clusters the environment's data lived in, oldest first; the last is current."""
        stints = self.placements.get(environment_key(app, env)).stints
        return list(stints) or [Stint(self.database(app, env).cluster_name)]

    def cluster(self, name: str) -> PostgresCluster | None:
        with self._lock:
            return self.fleet.get(name)

    def backups(self, name: str) -> Backups:
        cluster = self.cluster(name)
        if cluster is None:
            raise InvalidAddonInput(
                f"PostgreSQL cluster {name} is gone (pruned); its backups went with it"
            )
        return self.fleet.backups(cluster)

    def postgres_settings(self, app: str, env: str) -> PostgresAddon | None:
        """The `[addons.postgres]` table of the environment's last deploy."""
        return self.placements.get(environment_key(app, env)).settings

    def clusters_in_use(self) -> list[ClusterUse]:
        """Every running cluster some environment's database lives in now."""
        with self._lock:
            placed = self.placements.all()
            found = []
            for name, cluster in self.fleet.known().items():
                if not cluster.alive():
                    continue
                keys = {k for k, p in placed.items() if p.current == name}
                if not is_restore(name):
                    unmoved = (k for k in cluster.app_databases() if _current(placed, k) is None)
                    keys.update(k for k in unmoved if "_" in k)
                if keys:
                    envs = tuple(_app_env(k) for k in sorted(keys))
                    settings = tuple(s for k in sorted(keys) if (s := _settings(placed, k)))
                    found.append(ClusterUse(name, cluster, envs, settings))
            return found

    def restore(
        self,
        app: str,
        env: str,
        *,
        source: str,
        target: datetime | None = None,
        backup_id: str | None = None,
    ) -> Restored:
        """A new cluster holding `app`/`env`'s database as it was (see postgres_restores);
        the environment is not moved into it until `move`."""
        key = environment_key(app, env)
        with self._lock:
            self.fleet.get(source)  # open it under the lock; the long part runs without it
        return restore_environment(self.fleet, source, key, target=target, backup_id=backup_id)

    def move(self, app: str, env: str, name: str) -> Database:
        """From now on the environment's database is the one in cluster `name`."""
        with self._lock:
            key = environment_key(app, env)
            before = self.history(app, env)[-1].cluster
            cluster = self.fleet.get(name)
            if cluster is None:
                raise InvalidAddonInput(f"no PostgreSQL cluster {name!r} on this host")
            creds = cluster.ensure_database(app, env)
            self.placements.move(key, name, self._clock.now(), first=before)
            return Database(name, cluster, creds)

    def discard(self, name: str) -> None:
        with self._lock:
            self.fleet.remove(name)

    def prunable(self, in_use: Collection[tuple[int, str]]) -> list[Prunable]:
        with self._lock:
            return plan_prune(self.fleet, self.placements, in_use)

    def prune(self, in_use: Collection[tuple[int, str]]) -> list[Prunable]:
        """Remove what `prunable` lists now; returns it."""
        with self._lock:
            items = plan_prune(self.fleet, self.placements, in_use)
            prune(self.fleet, items)
            return items

    def copy_database(
        self, source: tuple[str, str], target: tuple[str, str], *, workdir: Path
    ) -> DatabaseCopy:
        """A copy of `source`'s database beside `target`'s (see postgres_copy)."""
        src, dst = self.database(*source), self.database(*target)
        return DatabaseCopy((src.cluster, src.creds), (dst.cluster, dst.creds), workdir=workdir,
                            runner=self._runner or Runner())  # fmt: skip

    # -- bookkeeping -------------------------------------------------------------------------

    def _known_redis(self) -> dict[str, RedisServer]:
        for root in sorted(self.root.glob("redis/*")):
            if root.name not in self._redis and (root / "port").is_file():
                port = self._read_port(root) or 0
                self._redis[root.name] = RedisServer(root, port=port, runner=self._runner)
        return dict(self._redis)

    def _port(self, root: Path) -> int:
        with self._lock:  # a restore allocates its port outside the other locked calls
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


def _settings(placed: dict[str, Placement], key: str) -> PostgresAddon | None:
    placement = placed.get(key)
    return placement.settings if placement is not None else None


def _current(placed: dict[str, Placement], key: str) -> str | None:
    placement = placed.get(key)
    return placement.current if placement is not None else None


def _app_env(key: str) -> tuple[str, str]:
    app, _, env = key.partition("_")  # names never hold '_' (environment_key)
    return app, env


def _newest_postgres() -> str:
    versions = installed_versions()
    if not versions:
        find_postgres("16")  # raises AddonNotInstalled, naming the package
    return versions[-1]
