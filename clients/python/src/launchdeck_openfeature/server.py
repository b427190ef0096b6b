"""The one wrapper around launchdeck's flag endpoints, over httpx:

    GET  <url>?wait=S   (If-None-Match: "<etag>")  -> 304, or 200 with ETag and the flag set
    POST <url>/app-versions  {"app_version": "1.5.0"}

Every failure is a `ServerError` whose `kind` groups it for logging once. `abort` ends a request
in flight from another thread: closing an httpx client does not wake a thread blocked reading
(a long poll holds for `wait` seconds), shutting its socket down does.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import FlagSetError, ServerError
from .flagset import FlagSet

CONNECT_TIMEOUT = 2.0
READ_MARGIN = 10.0  # a long poll's answer may come this long after `wait`


@dataclass(frozen=True)
class Fetched:
    flags: FlagSet
    etag: str
    body: dict[str, Any]  # as the server sent it: what the cache file keeps


@dataclass(frozen=True)
class NotModified:
    pass


class FlagServer:
    """One environment's flag endpoints, read with `token`. Use from one thread at a time."""

    def __init__(
        self, url: str, token: str | None, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(headers=headers, transport=transport)
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._aborted = False

    def fetch(
        self, etag: str | None, *, wait: float, timeout: float | None = None
    ) -> Fetched | NotModified:
        """The set, if it changed from `etag` within `wait` seconds (0: answer now)."""
        headers = {"If-None-Match": etag} if etag else {}
        read = timeout if timeout is not None else wait + READ_MARGIN
        response = self._send(
            "GET",
            self.url,
            params={"wait": f"{wait:g}"},
            headers=headers,
            timeout=httpx.Timeout(read, connect=min(read, CONNECT_TIMEOUT)),
        )
        if response.status_code == 304:
            return NotModified()
        self._check(response, "read the flag set")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ServerError(
                "bad body", f"{self.url} sent a flag set that is not JSON ({err})"
            ) from None
        try:
            flags = FlagSet.from_json(body)
        except FlagSetError as err:
            raise ServerError(
                "bad body", f"{self.url} sent a flag set this client cannot read: {err}"
            ) from None
        # the wire format's ETag is the quoted version: stand in for a proxy that dropped it
        return Fetched(flags, response.headers.get("ETag") or f'"{flags.version}"', body)

    def report_app_version(self, version: str) -> None:
        url = self.url.rstrip("/") + "/app-versions"
        response = self._send(
            "POST",
            url,
            json={"app_version": version},
            timeout=httpx.Timeout(10.0, connect=CONNECT_TIMEOUT),
        )
        self._check(response, "report app versions")

    def abort(self) -> None:
        """End the request in flight (it fails as `aborted`) and every later one."""
        with self._lock:
            self._aborted = True
            sock, self._socket = self._socket, None
        if sock is not None:
            _shut(sock)
        self._client.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, url, extensions={"trace": self._trace}, **kwargs)
        except (httpx.HTTPError, RuntimeError) as err:  # RuntimeError: the client was closed
            if self._aborted:
                raise ServerError("aborted", "the provider shut down") from None
            if isinstance(err, RuntimeError):
                raise
            raise ServerError("unreachable", f"cannot reach {url} ({err!r})") from None

    def _check(self, response: httpx.Response, doing: str) -> None:
        status = response.status_code
        if status in (401, 403):
            raise ServerError(
                "unauthorized",
                f"{response.url} refused the token (HTTP {status}) to {doing}: "
                "check LAUNCHDECK_FLAGS_TOKEN (launchdeck sets it in each instance)",
            )
        if not 200 <= status < 300:
            raise ServerError(f"http {status}", f"{response.url} answered HTTP {status} to {doing}")

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: keeps the socket of each new connection, for `abort`."""
        if event != "connection.connect_tcp.complete":
            return
        sock = info["return_value"].get_extra_info("socket")
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._socket = sock
            aborted = self._aborted
        if aborted:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing waits on it
        sock.shutdown(socket.SHUT_RDWR)
