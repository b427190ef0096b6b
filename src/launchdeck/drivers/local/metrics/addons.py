"""What each environment's add-ons report about themselves: its PostgreSQL database (connections,
size, WAL archiving lag) and its Redis server (memory, clients, hit rate); and the free share of
the disk their data is on (`disk_free`), which the built-in `low-disk` alert watches.

The control plane asks as itself: PostgreSQL's superuser on the cluster's `postgres` database
(so its own connection is not one of the environment's), Redis's `default` user. A server that
is down, stopping or refusing yields no figures, and never an exception: the next pass asks
again.

Archiving lag is how long the oldest finished WAL segment has waited for `archive_command`
(`.ready` files in pg_wal/archive_status), 0 when none waits: a working archiver keeps it near 0,
a failing one makes it grow, and an idle database, which finishes no segment, is not lagging
(the time since `pg_stat_archiver.last_archived_time` would grow without bound there).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Protocol

from launchdeck.domain.metrics import Sample, Series
from launchdeck.drivers.local.addons import ClusterUse
from launchdeck.drivers.local.credential_store import environment_key
from launchdeck.drivers.local.postgres.client import Session
from launchdeck.drivers.local.postgres.cluster import PostgresCluster
from launchdeck.drivers.local.redis.known import RedisServers
from launchdeck.drivers.local.redis.server import RedisServer
from launchdeck.system import SYSTEM_CLOCK, Clock
from launchdeck.system.addon_errors import AddonError

Environment = tuple[str, str]  # (app, env)
DiskUsage = Callable[[Path], tuple[int, int, int]]  # total, used, free: shutil.disk_usage

DATABASES = """
SELECT d.datname, pg_database_size(d.oid),
       (SELECT count(*) FROM pg_stat_activity a
        WHERE a.datid = d.oid AND a.backend_type = 'client backend')
FROM pg_database d WHERE d.datname = ANY(%s)
"""
ARCHIVE_LAG = """
SELECT coalesce(extract(epoch FROM now() - min(modification)), 0)::float8
FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'
"""


class PostgresHost(Protocol):
    """Where each environment's database lives now (drivers.local.AddonHost is one)."""

    def clusters_in_use(self) -> Sequence[ClusterUse]: ...


class AddonCollector:
    def __init__(
        self,
        postgres: PostgresHost | None,
        redis: RedisServers | None,
        *,
        timeout: float = 5.0,
        clock: Clock = SYSTEM_CLOCK,
        disk_usage: DiskUsage = shutil.disk_usage,
    ) -> None:
        """`timeout` bounds each statement and Redis reply, so a stuck server delays a pass
        by that much at most."""
        self._postgres, self._redis = postgres, redis
        self._timeout = timeout
        self._clock = clock
        self._disk_usage = disk_usage

    def collect(self, environments: Collection[Environment]) -> list[Sample]:
        """The figures of `environments`' add-ons that answer."""
        wanted = set(environments)
        return [*self._postgres_samples(wanted), *self._redis_samples(wanted)]

    # -- PostgreSQL --------------------------------------------------------------------------

    def _postgres_samples(self, wanted: set[Environment]) -> list[Sample]:
        if self._postgres is None or not wanted:
            return []
        try:
            uses = self._postgres.clusters_in_use()
        except AddonError:  # a cluster stopped between its check and its query
            return []
        samples: list[Sample | None] = []
        for use in uses:
            envs = [e for e in use.environments if e in wanted]
            if envs:
                samples.extend(self._cluster(use.cluster, envs))
                free = self._disk_free(use.cluster.layout.root)
                samples += [self._free_sample(Series(*e, "postgres"), free) for e in envs]
        return [s for s in samples if s is not None]

    def _cluster(self, cluster: PostgresCluster, envs: list[Environment]) -> list[Sample]:
        names = {environment_key(app, env): (app, env) for app, env in envs}
        try:
            with Session(cluster.admin(), timeout=self._timeout) as session:
                rows = session.execute(DATABASES, (list(names),))
                lag = float(session.scalar(ARCHIVE_LAG))
        except AddonError:
            return []
        at = self._clock.now()
        samples: list[Sample] = []
        for name, size, connections in rows:
            series = Series(*names[name], service="postgres")
            samples += [
                Sample("postgres_connections", series, float(connections), at),
                Sample("postgres_database_bytes", series, float(size), at),
                Sample("postgres_archive_lag_s", series, lag, at),
            ]
        return samples

    # -- Redis -------------------------------------------------------------------------------

    def _redis_samples(self, wanted: set[Environment]) -> list[Sample]:
        if self._redis is None:
            return []
        samples: list[Sample | None] = []
        for app, env in sorted(wanted):
            server = self._redis.redis_server(app, env)
            info = self._info(server)
            if info is not None:
                samples.extend(redis_figures(Series(app, env, "redis"), info, self._clock.now()))
            if server is not None:
                free = self._disk_free(server.paths.root)
                samples.append(self._free_sample(Series(app, env, "redis"), free))
        return [s for s in samples if s is not None]

    # -- disk --------------------------------------------------------------------------------

    def _disk_free(self, path: Path) -> float | None:
        """The free share of the filesystem `path` is on (None when it cannot be read)."""
        try:
            total, _, free = self._disk_usage(path)
        except OSError:
            return None
        return free / total if total else None

    def _free_sample(self, series: Series, free: float | None) -> Sample | None:
        return None if free is None else Sample("disk_free", series, free, self._clock.now())

    def _info(self, server: RedisServer | None) -> dict[str, Any] | None:
        if server is None:
            return None
        return server.ask(lambda redis: dict(redis.info()), timeout=self._timeout)


def redis_figures(series: Series, info: dict[str, Any], at: float) -> list[Sample]:
    """INFO's figures; `connected_clients` less ours, and no hit rate before the first lookup."""
    hits, misses = int(info.get("keyspace_hits", 0)), int(info.get("keyspace_misses", 0))
    figures = {
        "redis_memory_bytes": float(info.get("used_memory", 0)),
        "redis_clients": float(max(int(info.get("connected_clients", 1)) - 1, 0)),
    }
    if hits + misses:
        figures["redis_hit_rate"] = hits / (hits + misses)
    return [Sample(name, series, value, at) for name, value in figures.items()]
