"""AddonCollector's handling of servers that are missing, down or refusing, and what it makes of
Redis's INFO; the figures of real servers are in tests/integration/test_metrics_collectors.py."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest
from tests.clock import ManualClock

from launchdeck.domain.metrics import Sample, Series
from launchdeck.drivers.local.addon_errors import AddonQueryFailed
from launchdeck.drivers.local.addons import ClusterUse
from launchdeck.drivers.local.metrics.addons import AddonCollector, redis_figures
from launchdeck.drivers.local.redis.known import KnownRedis
from launchdeck.drivers.local.redis.server import ADMIN

SERIES = Series("shop", "staging", "redis")
needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


def test_redis_figures_leave_out_our_own_connection() -> None:
    info = {"used_memory": 1_048_576, "connected_clients": 4, "keyspace_hits": 30,
            "keyspace_misses": 10}  # fmt: skip

    assert redis_figures(SERIES, info, 5.0) == [
        Sample("redis_memory_bytes", SERIES, 1_048_576.0, 5.0),
        Sample("redis_clients", SERIES, 3.0, 5.0),
        Sample("redis_hit_rate", SERIES, 0.75, 5.0),
    ]


def test_no_hit_rate_before_the_first_lookup() -> None:
    info = {"used_memory": 900_000, "connected_clients": 1, "keyspace_hits": 0,
            "keyspace_misses": 0}  # fmt: skip

    names = {s.name: s.value for s in redis_figures(SERIES, info, 5.0)}

    assert names == {"redis_memory_bytes": 900_000.0, "redis_clients": 0.0}


class RefusingHost:
    """A host whose cluster stopped between its liveness check and its query."""

    def clusters_in_use(self) -> Sequence[ClusterUse]:
        raise AddonQueryFailed("SQL as 'postgres' on database 'postgres' failed: FATAL: ...")


def test_a_postgres_host_that_fails_yields_nothing() -> None:
    collector = AddonCollector(RefusingHost(), None, clock=ManualClock())

    assert collector.collect({("shop", "staging")}) == []


def test_no_add_ons_no_figures() -> None:
    assert AddonCollector(None, None).collect({("shop", "staging")}) == []


def test_an_environment_without_a_redis_server_has_none(tmp_path: Path) -> None:
    assert KnownRedis(tmp_path).redis_server("shop", "staging") is None


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_dir(addons: Path, port: int) -> Path:
    root = addons / "redis" / "shop-staging"
    (root / "secrets").mkdir(parents=True)
    (root / "secrets" / ADMIN).write_text("s3cret\n")
    (root / "port").write_text(f"{port}\n")
    return root


@needs_redis
def test_known_redis_finds_the_server_addon_host_made(tmp_path: Path) -> None:
    port = closed_port()
    root = redis_dir(tmp_path, port)
    known = KnownRedis(tmp_path)

    server = known.redis_server("shop", "staging")

    assert server is not None and (server.paths.root, server.port) == (root, port)
    assert known.redis_server("shop", "staging") is server
    (root / "port").unlink()  # detached
    assert known.redis_server("shop", "staging") is None


@needs_redis
def test_a_redis_server_that_is_down_yields_only_its_disk(tmp_path: Path) -> None:
    root = redis_dir(tmp_path, closed_port())
    seen: list[Path] = []

    def disk_usage(path: Path) -> tuple[int, int, int]:
        seen.append(path)
        return 1000, 950, 50

    collector = AddonCollector(
        None, KnownRedis(tmp_path), timeout=1.0, clock=ManualClock(), disk_usage=disk_usage
    )

    assert collector.collect({("shop", "staging")}) == [
        Sample("disk_free", SERIES, 0.05, ManualClock().now())
    ]
    assert seen == [root]


@needs_redis
def test_a_disk_that_cannot_be_read_yields_no_figure(tmp_path: Path) -> None:
    redis_dir(tmp_path, closed_port())

    def disk_usage(path: Path) -> tuple[int, int, int]:
        raise PermissionError(path)

    collector = AddonCollector(
        None, KnownRedis(tmp_path), timeout=1.0, clock=ManualClock(), disk_usage=disk_usage
    )

    assert collector.collect({("shop", "staging")}) == []
