"""The depth of a queue a service declares, read from real Redis add-ons: each kind of key a
queue library keeps, an environment's server only (never another's), keys written to break the
command (a deployer writes them), and servers that are missing or down."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from tests.harness import free_range
from tests.integration.addon_support import kill_pids, scratch_dir

from launchdeck.domain import Addons, RedisAddon
from launchdeck.drivers.local.addons import AddonHost
from launchdeck.drivers.local.ports import PortAllocator
from launchdeck.drivers.local.redis.client import RedisClient
from launchdeck.drivers.local.redis.known import KnownRedis
from launchdeck.drivers.local.redis.queues import RedisQueues
from launchdeck.drivers.local.redis.server import ADMIN

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")
ENVS = (("shop", "staging"), ("shop", "production"))


@pytest.fixture(scope="module")
def addons() -> Iterator[AddonHost]:
    with scratch_dir("launchdeck-queues-") as base:
        first, last = (int(p) for p in free_range(20).split("-"))
        host = AddonHost(base / "addons", ports=PortAllocator(first, last))
        try:
            for app, env in ENVS:
                host.attach(app, env, Addons(redis=RedisAddon()))
            yield host
        finally:
            known = KnownRedis(host.root)
            servers = [known.redis_server(app, env) for app, env in ENVS]
            pids = [pid for s in servers if s is not None and (pid := s.pid()) is not None]
            host.stop_all()
            kill_pids(pids)


def redis_of(addons: AddonHost, env: str) -> RedisClient:
    server = addons.redis("shop", env)
    password = server.credentials.get(ADMIN)
    assert password is not None
    return RedisClient("127.0.0.1", server.port, password=password)


def test_each_kind_of_queue_key_reads_its_length(addons: AddonHost) -> None:
    queues = RedisQueues(KnownRedis(addons.root))
    with redis_of(addons, "staging") as app:
        app.redis.rpush("rq:queue:default", *range(7))  # RQ, Dramatiq, Celery: a list
        app.redis.zadd("scheduled", {"a": 1, "b": 2})
        app.redis.sadd("a-set", "x")
        app.redis.xadd("stream", {"job": "1"})
        app.redis.set("a-string", "not a queue")
        assert queues.queue_depth("shop", "staging", "rq:queue:default") == 7
        assert queues.queue_depth("shop", "staging", "scheduled") == 2
        assert queues.queue_depth("shop", "staging", "a-set") == 1
        assert queues.queue_depth("shop", "staging", "stream") == 1
        assert queues.queue_depth("shop", "staging", "a-string") is None
        assert queues.queue_depth("shop", "staging", "never-written") == 0  # an empty list
        app.redis.lpop("rq:queue:default", 7)
        assert queues.queue_depth("shop", "staging", "rq:queue:default") == 0


def test_an_environment_reads_its_own_server_only(addons: AddonHost) -> None:
    queues = RedisQueues(KnownRedis(addons.root))
    with redis_of(addons, "production") as prod, redis_of(addons, "staging") as staging:
        prod.redis.rpush("jobs", *range(5))
        staging.redis.rpush("jobs", 1)
        assert queues.queue_depth("shop", "production", "jobs") == 5
        assert queues.queue_depth("shop", "staging", "jobs") == 1
        assert queues.queue_depth("other", "production", "jobs") is None  # no server of its own
        prod.redis.delete("jobs")
        staging.redis.delete("jobs")


def test_a_key_written_to_break_the_command_is_only_a_key(addons: AddonHost) -> None:
    """The key travels as one argument: CRLFs, spaces and commands in it are its characters."""
    queues = RedisQueues(KnownRedis(addons.root))
    with redis_of(addons, "staging") as app:
        app.redis.set("keep", "1")
        for key in ("x\r\nFLUSHALL\r\n", "jobs FLUSHALL", '"; FLUSHALL; "', "*"):
            assert queues.queue_depth("shop", "staging", key) == 0
        assert app.redis.get("keep") == "1"
        app.redis.delete("keep")


def test_a_server_that_is_down_answers_none_at_once(addons: AddonHost) -> None:
    queues = RedisQueues(KnownRedis(addons.root), timeout=1.0)
    server = addons.redis("shop", "staging")
    server.stop()
    try:
        assert queues.queue_depth("shop", "staging", "jobs") is None
    finally:
        addons.redis("shop", "staging")  # started again for the module's other tests
