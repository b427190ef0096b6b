"""launchdeck's flag endpoints on a real socket on 127.0.0.1, as the control plane serves them:
a long poll with ETag/304, and app-version reports that bump the set's version and `latest`."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from launchdeck_openfeature.versions import Version

TOKEN = "s3cret"
MAX_WAIT = 60.0
WAIT = 2.0  # the most any change may take to show; each wait ends as soon as it shows


def eventually(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.01)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    wait: str | None
    if_none_match: str | None
    authorization: str | None


class FlagServerFake:
    """`publish` a new set of flags; `reports` holds the app versions POSTed, in order; `seen`
    every request; `holding` the long polls waiting right now. `stop` drops the polls in flight
    without an answer and closes the port, as a control plane that went away."""

    def __init__(self, flags: dict[str, Any] | None = None) -> None:
        self.token = TOKEN
        self.version = 1
        self.flags: dict[str, Any] = dict(flags or {})
        self.latest: str | None = None
        self.reports: list[str] = []
        self.seen: list[Seen] = []
        self.holding = 0
        self._changed = threading.Condition()
        self._stopping = False
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/flags/shop/production"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def publish(self, **flags: dict[str, Any]) -> None:
        with self._changed:
            self.flags.update(flags)
            self.version += 1
            self._changed.notify_all()

    def body(self) -> dict[str, Any]:
        return {"version": self.version, "app": "shop", "env": "production",
                "latest_app_version": self.latest, "flags": self.flags}  # fmt: skip

    def stop(self) -> None:
        with self._changed:
            if self._stopping:
                return
            self._stopping = True
            self._changed.notify_all()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def _poll(self, etag: str | None, wait: float) -> dict[str, Any] | None:
        """The set once it differs from `etag` (None: unchanged for `wait` s, or stopping)."""
        with self._changed:
            self.holding += 1
            try:
                self._changed.wait_for(
                    lambda: self._stopping or f'"{self.version}"' != etag, timeout=wait
                )
                changed = f'"{self.version}"' != etag and not self._stopping
                return self.body() if changed else None
            finally:
                self.holding -= 1

    def _report(self, version: str) -> None:
        with self._changed:
            self.reports.append(version)
            parsed, latest = Version.parse(version), Version.parse(self.latest or "")
            if parsed is not None and (latest is None or parsed.key > latest.key):
                self.latest = version
                self.version += 1
                self._changed.notify_all()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                wait = self._note("GET")
                if not self._authorized():
                    return
                body = fake._poll(
                    self.headers.get("If-None-Match"), min(float(wait or 0), MAX_WAIT)
                )
                if fake._stopping:
                    self.close_connection = True  # gone without an answer
                elif body is None:
                    self._answer(304)
                else:
                    self._answer(200, body, {"ETag": f'"{body["version"]}"'})

            def do_POST(self) -> None:
                self._note("POST")
                if not self._authorized():
                    return
                length = int(self.headers.get("Content-Length", "0"))
                fake._report(json.loads(self.rfile.read(length))["app_version"])
                self._answer(204)

            def _note(self, method: str) -> str | None:
                url = urlsplit(self.path)
                wait = parse_qs(url.query).get("wait", [None])[0]
                fake.seen.append(Seen(method, url.path, wait, self.headers.get("If-None-Match"),
                                      self.headers.get("Authorization")))  # fmt: skip
                return wait

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {fake.token}":
                    return True
                self._answer(401, {"detail": "bad token"})
                return False

            def _answer(
                self, status: int, body: Any = None, headers: dict[str, str] | None = None
            ) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if status != 304 and status != 204:
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def flag_server() -> Iterator[FlagServerFake]:
    server = FlagServerFake()
    yield server
    server.stop()
