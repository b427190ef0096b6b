from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from launchdeck.drivers.local.health import probe


class Scripted(BaseHTTPRequestHandler):
    """Answers by path and remembers what each request looked like."""

    seen: ClassVar[list[tuple[str, str, str | None, str | None]]] = []
    release_slow: ClassVar[threading.Event] = threading.Event()

    def do_GET(self) -> None:
        Scripted.seen.append(
            (self.command, self.path, self.headers.get("Host"), self.headers.get("User-Agent"))
        )
        if self.path == "/slow":
            Scripted.release_slow.wait(2.0)
        status = {
            "/health": 200,
            "/slow": 200,
            "/created": 204,
            "/moved": 301,
            "/missing": 404,
            "/down": 503,
        }.get(self.path, 500)
        self.send_response(status)
        if status == 301:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    Scripted.seen = []
    Scripted.release_slow = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        Scripted.release_slow.set()
        server.shutdown()
        server.server_close()
        thread.join(2.0)


@pytest.mark.parametrize(
    ("path", "healthy"),
    [
        ("/health", True),
        ("/created", True),
        ("/moved", True),  # 3xx counts, and is not followed
        ("/missing", False),
        ("/down", False),
        ("/boom", False),
    ],
)
def test_probe_is_true_for_2xx_and_3xx_only(port: int, path: str, healthy: bool) -> None:
    assert probe(port, path, timeout=1.0) is healthy


def test_probe_sends_one_get_with_a_localhost_host_header(port: int) -> None:
    probe(port, "/health?deep=1", timeout=1.0)

    assert Scripted.seen == [("GET", "/health?deep=1", "localhost", "launchdeck-health")]


def test_probe_that_waits_past_its_timeout_is_false(port: int) -> None:
    assert probe(port, "/slow", timeout=0.1) is False


def test_probe_of_a_closed_port_is_false() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]

    assert probe(closed, "/health", timeout=0.5) is False


def test_probe_of_something_that_is_not_http_is_false() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def answer_garbage() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(1024)
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        assert probe(listener.getsockname()[1], "/health", timeout=1.0) is False
        thread.join(2.0)
