"""A minimal Redis client (RESP2 over TCP) for what the control plane asks of its Redis: AUTH,
PING, ACL LOAD, CONFIG GET, and the reads and writes tests make. Passwords travel on the socket,
never on a command line.
"""

from __future__ import annotations

import socket
from types import TracebackType
from typing import TypeAlias

from launchdeck.drivers.local.addon_errors import AddonQueryFailed, RedisAuthFailed

Reply: TypeAlias = str | int | list["Reply"] | None


class RedisReplyError(AddonQueryFailed):
    """Redis answered `-ERR ...`, `-NOPERM ...`, ...: the text is the server's."""


class RedisClient:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.host, self.port = host, port
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""
        if password is not None:
            try:
                self.call("AUTH", *((user,) if user else ()), password)
            except RedisReplyError as exc:
                self.close()
                who = f"user {user!r}" if user else "the default user"
                raise RedisAuthFailed(f"redis {host}:{port} refused {who}: {exc}") from None

    def call(self, *args: str | bytes | int) -> Reply:
        self._sock.sendall(encode(args))
        return self._read()

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> RedisClient:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- RESP2 ------------------------------------------------------------------------------

    def _read(self) -> Reply:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisReplyError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exactly(size + 2)[:-2].decode(errors="replace")
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._read() for _ in range(count)]
        raise AddonQueryFailed(f"redis {self.host}:{self.port}: unexpected reply {line[:40]!r}")

    def _line(self) -> bytes:
        while b"\r\n" not in self._buffer:
            self._fill()
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise AddonQueryFailed(f"redis {self.host}:{self.port} closed the connection")
        self._buffer += chunk


def encode(args: tuple[str | bytes | int, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        raw = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(parts)
