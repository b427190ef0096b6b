"""A bounded HTTP load generator for 127.0.0.1: keep-alive clients that record every failure and
which release answered each request. Used by the tests, the demo and the benchmarks."""

from __future__ import annotations

import http.client
import json
import threading
import time


class Load:
    """Bounded GET traffic at the router from a few keep-alive clients. Records every response's
    release and every failure (a connection error or a status other than 200)."""

    def __init__(
        self,
        port: int,
        host: str,
        *,
        clients: int = 4,
        max_requests: int = 20000,
        max_seconds: float = 240.0,
        pause: float = 0.005,
    ) -> None:
        self.port, self.host = port, host
        self.clients, self.max_requests, self.max_seconds = clients, max_requests, max_seconds
        self.pause = pause
        self.ok = 0
        self.retried = 0  # stale keep-alive connections retried once, as HTTP clients do
        self.failures: list[str] = []
        self.samples: list[tuple[float, str]] = []  # (time the request completed, release)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    @property
    def total(self) -> int:
        return self.ok + len(self.failures)

    def __enter__(self) -> Load:
        self._deadline = time.monotonic() + self.max_seconds
        for _ in range(self.clients):
            t = threading.Thread(target=self._run, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.total < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def releases_since(self, t: float) -> set[str]:
        return self.releases_between(t, float("inf"))

    def releases_between(self, start: float, end: float) -> set[str]:
        """Releases that answered requests completed in [start, end)."""
        with self._lock:
            return {r for at, r in self.samples if start <= at < end}

    def _run(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            with self._lock:
                if self.total >= self.max_requests:
                    return
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                conn.request("GET", "/", headers={"Host": self.host})
                resp = conn.getresponse()
                body = resp.read()
                if resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
                if resp.status == 200:
                    release = json.loads(body).get("release", "?")
                    with self._lock:
                        self.ok += 1
                        self.samples.append((time.monotonic(), release))
                else:
                    with self._lock:
                        self.failures.append(f"HTTP {resp.status}: {body[:200]!r}")
            except (OSError, http.client.HTTPException) as exc:
                if isinstance(exc, http.client.RemoteDisconnected) or "Broken pipe" in str(exc):
                    # the server closed an idle keep-alive connection before our request
                    # reached it; a browser retries this transparently, and so do we once
                    conn.close() if conn else None
                    conn = None
                    if self._retry_once():
                        continue
                with self._lock:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                if conn is not None:
                    conn.close()
                conn = None
            time.sleep(self.pause)
        if conn is not None:
            conn.close()

    def _retry_once(self) -> bool:
        with self._lock:
            self.retried += 1
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/", headers={"Host": self.host})
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            with self._lock:
                self.failures.append(f"retry {type(exc).__name__}: {exc}")
            return True
        finally:
            conn.close()
        with self._lock:
            if resp.status == 200:
                self.ok += 1
                self.samples.append((time.monotonic(), json.loads(body).get("release", "?")))
            else:
                self.failures.append(f"HTTP {resp.status}: {body[:200]!r}")
        return True
