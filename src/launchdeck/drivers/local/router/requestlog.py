"""Every request the router answers, counted. HAProxy logs one line per request into a ring
buffer it forwards over a unix stream socket this module listens on (octet-counted frames,
`<length> <line>`); a reader thread sums the lines into windows per instance.

The line is launchdeck's own `log-format` (config.LOG_FORMAT): backend, server address and
port, status, bytes, total active time and the server's time, in milliseconds. Nothing is
sampled: the ring holds a burst (or a control-plane restart) until the reader takes it, and a
stream, unlike a datagram socket, never drops a line because the reader was busy for a moment.
The server's port names the instance (ports are unique per instance); the backend names app,
env and service.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from launchdeck.domain.metrics import STATUS_CLASSES, RequestWindow, Series, bucket_of
from launchdeck.drivers.local.router.config import LOG_FORMAT, Backend
from launchdeck.system import SYSTEM_CLOCK, Clock

log = logging.getLogger("launchdeck.requestlog")

READ_SIZE = 256 * 1024
BATCH = 0.05  # seconds between reads; at 10k requests/s a read takes ~500 lines, not one
FIELDS = len(LOG_FORMAT.split())
WINDOW = 10.0  # seconds per window

# (app, env, service) of a backend, or None for one that is not an app's (the 404 backend)
BackendLabels = Callable[[str], tuple[str, str, str] | None]
# (backend, port) -> instance id, from the router's servers ("" when unknown)
InstanceOf = Callable[[str, int], str]


@dataclass
class _Tally:
    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    bytes_out: int = 0
    total_ms: dict[int, int] = field(default_factory=dict)
    server_ms: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, size: int, total: int, server: int, n: int = 1) -> None:
        self.requests += n
        klass = STATUS_CLASSES[status // 100 - 1] if 100 <= status < 600 else "5xx"
        self.statuses[klass] = self.statuses.get(klass, 0) + n
        self.bytes_out += max(size, 0) * n
        if total >= 0:
            b = bucket_of(total)
            self.total_ms[b] = self.total_ms.get(b, 0) + n
        if server >= 0:
            b = bucket_of(server)
            self.server_ms[b] = self.server_ms.get(b, 0) + n


def _copy(t: _Tally) -> _Tally:
    return _Tally(t.requests, dict(t.statuses), t.bytes_out, dict(t.total_ms), dict(t.server_ms))


Key = tuple[str, int]  # backend, server port (0: no server answered)


class RequestLog:
    """Binds `path`, reads lines until `stop()`; `take()` hands over every finished window."""

    def __init__(
        self,
        path: Path,
        *,
        labels: BackendLabels,
        instance_of: InstanceOf,
        window: float = WINDOW,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.path = path
        self.labels, self.instance_of = labels, instance_of
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[float, dict[Key, _Tally]] = {}
        self.lines = 0  # every line read, for /metrics and tests
        self.skipped = 0  # lines that are not requests: HAProxy's notices share the ring
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._selector = selectors.DefaultSelector()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._wake, self._woken = socket.socketpair()  # stop() wakes the idle reader at once

    # -- the socket ---------------------------------------------------------------------------

    def start(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        listener = self._listener
        listener.bind(str(self.path))
        os.chmod(self.path, 0o600)  # only the control plane's account (HAProxy runs as it)
        listener.listen(8)
        listener.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ)
        self._selector.register(self._woken, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._serve, name="request-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake.send(b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.path.unlink(missing_ok=True)

    def _serve(self) -> None:
        """Accept HAProxy's connections (one per worker: a reload adds one while the old worker
        finishes) and read their frames until stopped."""
        selector, listener = self._selector, self._listener
        pending: dict[socket.socket, bytes] = {}
        try:
            while not self._stopping:
                if not selector.select():  # idle: asleep until a line (or stop) comes
                    continue
                time.sleep(BATCH)  # lines wait in the socket: one read takes many, cheaply
                for key, _ in selector.select(timeout=0):
                    conn = cast(socket.socket, key.fileobj)
                    if conn is self._woken:
                        continue
                    if conn is listener:
                        with contextlib.suppress(BlockingIOError):
                            accepted, _ = listener.accept()
                            accepted.setblocking(False)
                            selector.register(accepted, selectors.EVENT_READ)
                            pending[accepted] = b""
                        continue
                    data = b""
                    with contextlib.suppress(BlockingIOError, ConnectionError):
                        data = conn.recv(READ_SIZE)
                    if not data:
                        selector.unregister(conn)
                        conn.close()
                        pending.pop(conn, None)
                        continue
                    pending[conn] = self._frames(pending[conn] + data)
        finally:
            for conn in [*pending, listener, self._wake, self._woken]:
                conn.close()
            selector.close()

    def _frames(self, buffer: bytes) -> bytes:
        """Record every whole `<length> <line>` frame; what is left of a frame cut short."""
        lines, at = [], 0
        while True:
            space = buffer.find(b" ", at)
            if space < 0:
                break
            try:
                length = int(buffer[at:space])
            except ValueError:  # not HAProxy's framing: drop what is buffered
                self.skipped += 1
                return b""
            end = space + 1 + length
            if end > len(buffer):
                break
            lines.append(buffer[space + 1 : end])
            at = end
        self.record(Counter(lines))
        return buffer[at:]

    # -- counting ----------------------------------------------------------------------------------

    def record(self, lines: Mapping[bytes, int]) -> None:
        """Count log lines: each distinct line once, times how often it came (a read's worth
        of requests repeats itself: the same instance, status, size and milliseconds)."""
        parsed: list[tuple[Key, int, int, int, int, int]] = []
        for line, n in lines.items():
            parts = line.split()
            try:
                if len(parts) != FIELDS:
                    raise ValueError(line)
                backend, _addr, port, status, size, total, server = parts
                key = (backend.decode(errors="replace"), int(port) if port.isdigit() else 0)
                parsed.append((key, int(status), int(size), int(total), int(server), n))
            except ValueError:  # "Server shop_staging_web/s1 is UP/READY ...", say
                self.skipped += n
        self.lines += sum(lines.values())
        if not parsed:
            return
        start = self.clock.now() // self.window * self.window
        with self._lock:
            tallies = self._windows.setdefault(start, {})
            for key, *figures in parsed:
                tally = tallies.get(key)
                if tally is None:
                    tally = tallies[key] = _Tally()
                tally.add(*figures)

    def take(self, *, everything: bool = False) -> list[RequestWindow]:
        """The windows that have ended (all of them with `everything`), labelled; each once."""
        now = self.clock.now()
        with self._lock:
            done = [s for s in self._windows if everything or s + self.window <= now]
            taken = {s: self._windows.pop(s) for s in done}
        return [w for start, tallies in sorted(taken.items()) for w in self._label(start, tallies)]

    def peek(self) -> list[RequestWindow]:
        """The windows not taken yet, as they stand (the last seconds, for a live view)."""
        with self._lock:
            copies = {
                start: {key: _copy(t) for key, t in tallies.items()}
                for start, tallies in self._windows.items()
            }
        return [w for start, tallies in sorted(copies.items()) for w in self._label(start, tallies)]

    def _label(self, start: float, tallies: Mapping[Key, _Tally]) -> Iterator[RequestWindow]:
        for (backend, port), t in tallies.items():
            names = self.labels(backend)
            if names is None:
                continue
            instance = self.instance_of(backend, port) if port else ""
            yield RequestWindow(
                series=Series(*names, instance=instance),
                start=start,
                seconds=self.window,
                requests=t.requests,
                statuses=dict(t.statuses),
                bytes_out=t.bytes_out,
                total_ms=dict(t.total_ms),
                server_ms=dict(t.server_ms),
            )


class ServerNames:
    """(backend, port) -> the name of the server at that port (an instance id), read from the
    router's record when a port is not known yet; names seen stay known for a while, so lines
    of a server removed before its window ended still name it."""

    def __init__(
        self,
        backends: Callable[[], list[Backend]],
        *,
        keep: float = 600.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.backends = backends
        self.keep = keep
        self.clock = clock
        self._known: dict[tuple[str, int], tuple[str, float]] = {}

    def __call__(self, backend: str, port: int) -> str:
        found = self._known.get((backend, port))
        if found is None:
            self._refresh()
            found = self._known.get((backend, port))
        return found[0] if found is not None else ""

    def _refresh(self) -> None:
        now = self.clock.monotonic()
        self._known = {k: v for k, v in self._known.items() if now - v[1] < self.keep}
        for b in self.backends():
            for server in b.servers:
                self._known[(b.name, server.port)] = (server.name, now)
