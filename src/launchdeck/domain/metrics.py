"""Metrics: what the collectors measure and the time-series store keeps.

A `Sample` is one value of one named figure for one `Series` (its labels) at one time. Request
figures come from the router's per-request log lines, resource figures from cgroups or psutil,
add-on figures from PostgreSQL and Redis themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Series:
    """The labels of a figure: an environment's service, and the instance and release when the
    figure is one instance's (empty for a whole service or an add-on)."""

    app: str
    env: str
    service: str  # a service of the manifest, or "postgres" / "redis" for an add-on
    instance: str = ""
    release: str = ""  # vN


@dataclass(frozen=True)
class Sample:
    """A gauge's value (`cpu`, `memory_bytes`, ...) at `at` (wall-clock seconds)."""

    name: str
    series: Series
    value: float
    at: float


# the gauges the collectors report, with their units (docs and `/metrics` use these names)
GAUGES: dict[str, str] = {
    "cpu": "fraction of the CPU limit in use (of one core without a limit)",
    "memory_bytes": "resident memory: the cgroup's working set (usage less inactive file cache), "
    "else the RSS of the instance's processes",
    "memory_limit_bytes": "the memory limit (0: none)",
    "memory": "fraction of the memory limit in use (of the host's memory without a limit)",
    "open_fds": "open file descriptors",
    "postgres_connections": "connections to the environment's database",
    "postgres_database_bytes": "size of the environment's database",
    "postgres_archive_lag_s": "seconds the oldest finished WAL segment has waited to be archived "
    "(0: none waiting)",
    "redis_memory_bytes": "memory the Redis server uses",
    "redis_clients": "connected clients (launchdeck's own connection not counted)",
    "redis_hit_rate": "keyspace hits / (hits + misses) since the server started",
    "disk_free": "free share of the disk an add-on's data is on",
    "crashes": "crashes of the service in the last 5 minutes (instances that exited, or were "
    "replaced for failing their health check)",
    "health_replacements": "instances of the service replaced for failing their health check "
    "in the last 10 minutes",
    "queue_depth": "messages waiting in the queue the service declares (`queue`)",
    "autoscale_capped": "instances the service's autoscaling wants that the host's free memory "
    "cannot take (0: none)",
}


# -- request figures ---------------------------------------------------------------------------

GROWTH = 1.05  # each latency bucket is 5% wider than the one below: quantiles within 2.5%


def bucket_of(ms: float) -> int:
    """The latency bucket of a time in milliseconds: 0 holds [0, 1), bucket i >= 1 holds
    [GROWTH**(i-1), GROWTH**i)."""
    return 0 if ms < 1 else 1 + int(math.log(ms) / _LOG_GROWTH)


def bucket_value(bucket: int) -> float:
    """A bucket's representative time: the geometric middle of its bounds (0.5 ms for 0)."""
    return 0.5 if bucket == 0 else GROWTH ** (bucket - 0.5)


def quantile(buckets: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0..1) of the times counted in `buckets`; None when there are none."""
    total = sum(buckets.values())
    if total == 0:
        return None
    rank, seen = q * total, 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen >= rank:
            return bucket_value(bucket)
    return bucket_value(max(buckets))


def merged(*many: Mapping[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for buckets in many:
        for bucket, n in buckets.items():
            out[bucket] = out.get(bucket, 0) + n
    return out


_LOG_GROWTH = math.log(GROWTH)
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


@dataclass(frozen=True)
class RequestWindow:
    """Every request one series (an instance, or a service when no instance answered) served in
    one window: counts by status class, bytes sent, and latency buckets of the total time and of
    the server's part of it (see `bucket_of`)."""

    series: Series
    start: float  # wall-clock seconds, a multiple of `seconds`
    seconds: float
    requests: int
    statuses: Mapping[str, int]  # "2xx" -> count; every request has one class (HAProxy's -1: 5xx)
    bytes_out: int
    total_ms: Mapping[int, int]  # bucket -> count
    server_ms: Mapping[int, int]
