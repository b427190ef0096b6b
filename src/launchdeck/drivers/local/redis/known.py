"""The Redis servers AddonHost made, found from their directories without starting any: what
the collectors and the queue depths ask, each environment's own server or none."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from launchdeck.drivers.local.redis.server import RedisServer
from launchdeck.system.addon_errors import AddonError


class RedisServers(Protocol):
    """Each environment's Redis server, if it has one, without starting it."""

    def redis_server(self, app: str, env: str) -> RedisServer | None: ...


class KnownRedis:
    """The servers AddonHost made (`<addons>/redis/<app>-<env>`, the port in a `port` file)."""

    def __init__(self, addons_root: Path) -> None:
        self._root = addons_root / "redis"
        self._servers: dict[Path, RedisServer] = {}

    def redis_server(self, app: str, env: str) -> RedisServer | None:
        root = self._root / f"{app}-{env}"
        try:
            port = int((root / "port").read_text())
        except (OSError, ValueError):
            self._servers.pop(root, None)
            return None
        server = self._servers.get(root)
        if server is None or server.port != port:
            try:
                server = self._servers[root] = RedisServer(root, port=port)
            except AddonError:  # redis-server is not installed (any more)
                return None
        return server
