"""A small notes API on PostgreSQL for launchdeck's add-on demo and tests: stdlib HTTP server,
one connection per request (PostgreSQL restarts are survived without a pool to repair).

GET /notes lists them, POST /notes with a text body adds one, GET /health checks the database."""

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg

DATABASE_URL = os.environ["DATABASE_URL"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # a response leaves in one write, flushed after each request

    def do_GET(self) -> None:
        if self.path == "/health":
            return self._query(lambda db: {"ok": db.execute("SELECT 1").fetchone()[0] == 1})
        if self.path == "/notes":
            return self._query(
                lambda db: {
                    "notes": [
                        {"id": i, "body": b}
                        for i, b in db.execute("SELECT id, body FROM notes ORDER BY id")
                    ],
                    "release": os.environ.get("LAUNCHDECK_RELEASE"),
                }
            )
        self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/notes":
            return self._send(404, {"error": "not found"})
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self._query(
            lambda db: {
                "id": db.execute("INSERT INTO notes (body) VALUES (%s) RETURNING id", (body,))
                .fetchone()[0]
            },
            status=201,
        )

    def _query(self, work, status: int = 200) -> None:
        try:
            with psycopg.connect(DATABASE_URL, connect_timeout=2) as db:
                result = work(db)
        except psycopg.Error as exc:
            print(f"ERROR database: {exc}".strip(), flush=True)
            return self._send(503, {"error": "database unavailable"})
        self._send(status, result)

    def _send(self, status: int, body: dict) -> None:
        data = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: object) -> None:
        if self.path != "/health":
            sys.stdout.write("INFO %s\n" % (fmt % args))


def main() -> None:
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"INFO listening on port {os.environ['PORT']}", flush=True)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
