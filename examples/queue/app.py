"""The web side of the background-work pattern: it answers at once and leaves the work to the
worker service through a queue on the Redis add-on (tasks.py; delivery is at-least-once, so
jobs are idempotent).

POST /jobs?n=N enqueues N jobs (ids job-1, job-2, ... across calls; N from 1 to 10,000);
GET /stats answers {"enqueued", "done" (distinct ids done), "processed" (executions, duplicates
included), "queued" (waiting), "unacked" (waiting, running or held by a dead worker)};
GET /health answers 200 while the server runs."""

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import redis
from tasks import record, stats, store

MAX_JOBS = 10_000


def enqueue(n: int) -> dict[str, object]:
    """Reserve n ids, send a message for each; `enqueued` counts only the ones sent."""
    last = store.incrby("job-ids", n)
    sent: list[str] = []
    try:
        for number in range(last - n + 1, last + 1):
            record.send(f"job-{number}")
            sent.append(f"job-{number}")
    finally:
        store.incrby("enqueued", len(sent))
    return {"enqueued": len(sent), "first": sent[0], "last": sent[-1]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # a response leaves in one write, flushed after each request

    def do_GET(self) -> None:
        if self.path == "/health":
            return self._send(200, {"ok": True})
        if self.path == "/stats":
            return self._redis(stats)
        self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if url.path != "/jobs":
            return self._send(404, {"error": "not found"})
        try:
            n = int(parse_qs(url.query).get("n", ["1"])[0])
        except ValueError:
            n = 0
        if not 1 <= n <= MAX_JOBS:
            return self._send(400, {"error": f"n should be a number from 1 to {MAX_JOBS}"})
        self._redis(lambda: enqueue(n), status=202)

    def _redis(self, work, status: int = 200) -> None:
        try:
            body = work()
        except redis.RedisError as exc:
            print(f"ERROR redis: {exc}", flush=True)
            return self._send(503, {"error": "queue unavailable"})
        self._send(status, body)

    def _send(self, status: int, body: dict) -> None:
        data = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: object) -> None:
        if self.path not in ("/health", "/stats"):
            sys.stdout.write(f"INFO {self.address_string()} {fmt % args}\n")


def main() -> None:
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"INFO listening on port {os.environ['PORT']} ({os.environ.get('LAUNCHDECK_RELEASE')})")
    server.serve_forever(poll_interval=0.05)
    print("INFO shutting down")


if __name__ == "__main__":
    main()
