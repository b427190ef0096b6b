"""RedisServer against a real redis-server on a free 127.0.0.1 port: one server per module,
stopped (and SIGKILLed by pid if need be) at teardown."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_py
from redis.exceptions import AuthenticationError, NoPermissionError
from tests.integration.addon_support import free_port, kill_pids

from launchdeck.drivers.local.addon_errors import (
    AddonNotInstalled,
    AddonStartFailed,
    InvalidAddonInput,
    RedisAuthFailed,
)
from launchdeck.drivers.local.redis.client import RedisClient, RedisReplyError
from launchdeck.drivers.local.redis.server import RedisServer, find_redis

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("redis-server") is None, reason="redis-server is not installed"
    ),
    pytest.mark.timeout(60),
]


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"), port=free_port())
    server.ensure_running()
    try:
        yield server
    finally:
        pid = server.pid()
        server.stop()
        kill_pids([pid] if pid else [])


def wait_dead(server: RedisServer, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while server.alive():
        assert time.monotonic() < deadline, "redis-server did not die"
        time.sleep(0.02)


def test_runs_on_loopback_in_its_own_session_with_aof(redis: RedisServer) -> None:
    pid = redis.pid()
    assert pid is not None and pid == int(redis.paths.pidfile.read_text())
    assert os.getsid(pid) == pid != os.getsid(0)
    with redis.client() as admin:
        settings = admin.redis.config_get("*")
    assert settings["bind"] == "127.0.0.1"
    assert settings["port"] == str(redis.port)
    assert settings["appendonly"] == "yes"
    assert settings["appendfsync"] == "everysec"
    assert settings["dir"] == str(redis.paths.data.resolve())
    assert redis.paths.config.stat().st_mode & 0o777 == 0o600  # it holds the password


def test_a_password_is_required(redis: RedisServer) -> None:
    anonymous = redis_py.Redis("127.0.0.1", redis.port)
    with anonymous, pytest.raises(AuthenticationError):  # refused before any command runs
        anonymous.get("anything")

    with pytest.raises(RedisAuthFailed) as refused:
        RedisClient("127.0.0.1", redis.port, password="not-the-password")
    assert str(refused.value) == (
        f"redis 127.0.0.1:{redis.port} refused the default user: WRONGPASS invalid "
        "username-password pair or user is disabled."
    )
    with redis.client() as admin:
        assert admin.ping()


def test_writes_survive_sigkill_through_the_aof(redis: RedisServer) -> None:
    with redis.client() as admin:
        for n in range(200):
            assert admin.redis.set(f"durable:{n}", f"value {n}")
        assert admin.redis.rpush("durable:list", "a", "b", "c") == 3
    old = redis.pid()
    assert old is not None
    os.kill(old, signal.SIGKILL)
    wait_dead(redis)

    new = redis.ensure_running()

    assert new != old
    with redis.client() as admin:
        assert admin.redis.get("durable:0") == "value 0"
        assert admin.redis.get("durable:199") == "value 199"
        assert admin.redis.lrange("durable:list", 0, -1) == ["a", "b", "c"]


def test_environments_only_reach_their_own_keys(redis: RedisServer) -> None:
    staging = redis.ensure_user("shop", "staging")
    production = redis.ensure_user("shop", "production")
    assert redis.ensure_user("shop", "staging") == staging  # idempotent, same password
    assert staging.key_prefix == "shop:staging:"
    assert redis.redis_url(staging) == (
        f"redis://shop_staging:{staging.password}@127.0.0.1:{redis.port}/0"
    )

    with redis.client(staging) as s, redis.client(production) as p:
        assert s.redis.set("shop:staging:cart", "3 items")
        assert p.redis.set("shop:production:cart", "1 item")
        for client, other in ((s, "shop:production:cart"), (p, "shop:staging:cart")):
            for command in (("GET", other), ("SET", other, "stolen"), ("DEL", other)):
                with pytest.raises(NoPermissionError):
                    client.redis.execute_command(*command)
        for dangerous in (("FLUSHALL",), ("KEYS", "*"), ("CONFIG", "GET", "*")):
            with pytest.raises(NoPermissionError):
                s.redis.execute_command(*dangerous)
        assert s.redis.get("shop:staging:cart") == "3 items"
        assert p.redis.get("shop:production:cart") == "1 item"

    with pytest.raises(RedisAuthFailed):
        RedisClient("127.0.0.1", redis.port, user=staging.user, password=production.password)


def test_provisioning_an_environment_leaves_other_connections_open(redis: RedisServer) -> None:
    staging = redis.ensure_user("shop", "staging")
    with redis.client(staging) as connected:
        assert connected.ping()
        redis.ensure_user("shop", "qa")
        redis.ensure_user("shop", "staging")
        redis.drop_user("shop", "qa")
        assert connected.redis.set("shop:staging:still", "here")


def test_users_outlive_a_restart_and_can_be_dropped(redis: RedisServer) -> None:
    review = redis.ensure_user("shop", "review-3")
    redis.stop()
    wait_dead(redis)
    redis.ensure_running()
    with redis.client(review) as client:
        assert client.redis.set("shop:review-3:k", "v")

    redis.drop_user("shop", "review-3")

    with pytest.raises(RedisAuthFailed):
        redis.client(review)


def test_bad_input_and_missing_binaries_are_explained(redis: RedisServer, tmp_path: Path) -> None:
    with pytest.raises(AddonNotInstalled) as missing:
        find_redis(binary="redis-server-that-is-not-there")
    assert str(missing.value) == (
        "Redis is not installed (no redis-server-that-is-not-there on PATH); "
        "fix: apt-get install redis-server (or run make setup)"
    )
    with pytest.raises(InvalidAddonInput) as version:
        find_redis("1")
    assert str(version.value).startswith("redis version '1' is not available: ")
    with pytest.raises(InvalidAddonInput) as name:
        redis.ensure_user("shop", "Staging")
    assert str(name.value) == (
        "environment name 'Staging' cannot name an add-on user: use 1-30 lowercase letters, "
        "digits and '-', starting with a letter"
    )
    with redis.client() as admin, pytest.raises(RedisReplyError) as refused:
        admin.set_user("shop_staging", ("on", "bogus"))
    assert str(refused.value) == "Error in ACL SETUSER modifier 'bogus': Syntax error"
    other = RedisServer(tmp_path / "other", port=redis.port)
    try:
        with pytest.raises(AddonStartFailed) as taken:
            other.start(timeout=3)
        assert f"is another program using port {redis.port}? fix: give Redis a free port" in str(
            taken.value
        )
    finally:
        pid = other.pid()
        kill_pids([pid] if pid else [])
