"""What the control plane asks of its Redis, through redis-py: a ping, and ACL users set and
deleted. Passwords travel on the socket (AUTH), never on a command line. Failures are add-on
errors: RedisAuthFailed when the user or password is refused, RedisReplyError (the server's
words) for any other refusal, AddonQueryFailed when the server cannot be reached.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType

import redis
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from redis.retry import Retry

from launchdeck.drivers.local.addon_errors import AddonQueryFailed, RedisAuthFailed


class RedisReplyError(AddonQueryFailed):
    """Redis answered with an error: the text is the server's (less the leading code, such as
    NOPERM, that redis-py turns into the exception's class)."""


class RedisClient:
    """One authenticated connection, made (and the password checked) when constructed. `redis`
    is the redis-py client itself, for anything no method here names."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str | None = None,
        password: str,
        timeout: float = 5.0,
    ) -> None:
        self.host, self.port = host, port
        try:
            self.redis = redis.Redis(
                host=host,
                port=port,
                username=user,
                password=password,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                decode_responses=True,
                single_connection_client=True,  # connects and authenticates here
                retry=Retry(NoBackoff(), 0),  # a caller polling for readiness retries itself
            )
        except AuthenticationError as exc:
            who = f"user {user!r}" if user else "the default user"
            # redis-py keeps the server's text but not its code; Redis 6+ (ACLs, which the
            # add-on needs) refuses AUTH with WRONGPASS
            raise RedisAuthFailed(f"redis {host}:{port} refused {who}: WRONGPASS {exc}") from None
        except RedisError as exc:
            raise AddonQueryFailed(f"redis {host}:{port}: {exc}") from None

    def ping(self) -> bool:
        with self._errors():
            return bool(self.redis.ping())

    def set_user(self, user: str, rules: Sequence[str]) -> None:
        """`ACL SETUSER user reset <rules>`: the user has exactly these rules, at once; every
        other connection is left alone."""
        with self._errors():
            # the same rules as the ACL file (redis.acl_rules), not acl_setuser's keywords
            self.redis.execute_command("ACL", "SETUSER", user, "reset", *rules)  # type: ignore[no-untyped-call]

    def delete_user(self, user: str) -> None:
        """`ACL DELUSER`: the user's connections are closed; its keys stay."""
        with self._errors():
            self.redis.acl_deluser(user)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except ResponseError as exc:
            raise RedisReplyError(str(exc)) from None
        except RedisError as exc:
            raise AddonQueryFailed(f"redis {self.host}:{self.port}: {exc}") from None

    def close(self) -> None:
        self.redis.close()

    def __enter__(self) -> RedisClient:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
