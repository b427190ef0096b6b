"""How many messages wait in the queue a service declares (`queue = "redis:///<key>"`): the
length of that key in the environment's own Redis add-on, read as its admin user.

A deployer writes the key, so the control plane treats it as data: it reads only the server of
the environment the release belongs to (a manifest cannot name another), sends only TYPE and one
length command with the key as an argument, and a server that is missing, down or slow answers
None within `timeout`, never an exception.
"""

from __future__ import annotations

import redis

from launchdeck.drivers.local.redis.known import RedisServers

# The length of each kind of key a queue library keeps: RQ, Dramatiq and Celery use lists;
# sorted sets hold scheduled or delayed jobs, streams Redis's own consumer queues.
LENGTHS = {"list": "LLEN", "zset": "ZCARD", "set": "SCARD", "stream": "XLEN"}


class RedisQueues:
    def __init__(self, servers: RedisServers, *, timeout: float = 1.0) -> None:
        self._servers, self._timeout = servers, timeout

    def queue_depth(self, app: str, env: str, key: str) -> int | None:
        """The number of messages in `key` (0 when it does not exist: an empty list is no key
        in Redis); None without an answer or for a key that holds no collection."""
        server = self._servers.redis_server(app, env)
        if server is None:
            return None
        return server.ask(lambda client: _length(client, key), timeout=self._timeout)


def _length(client: redis.Redis, key: str) -> int | None:
    kind = str(client.type(key))
    if kind == "none":
        return 0
    command = LENGTHS.get(kind)
    if command is None:
        return None
    return int(client.execute_command(command, key))  # type: ignore[no-untyped-call]
