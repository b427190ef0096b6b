"""A tiny web service for launchdeck's demo and tests: stdlib only, HTTP/1.1 keep-alive,
graceful on SIGTERM (finishes in-flight requests, then exits)."""

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGE = "hello from launchdeck"
BOOT_DELAY = float(os.environ.get("BOOT_DELAY", "0"))  # seconds to sleep before listening
sick = threading.Event()  # set by GET /_sicken: the health path fails from then on (tests)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    # headers and body leave in one write (flushed after each request): an instance killed
    # mid-response never leaves a client with headers and half a body
    wbufsize = 64 * 1024

    def do_GET(self) -> None:
        if self.path == "/_sicken":
            sick.set()
            return self._send(200, {"sick": True})
        if self.path == "/_exit":  # the process dies just after answering, as a crash (alerts)
            threading.Timer(0.05, os._exit, (1,)).start()
            return self._send(200, {"exiting": True})
        if self.path.startswith("/_status/"):  # answers with that status (metrics tests)
            return self._send(int(self.path.rsplit("/", 1)[1]), {"status": "as asked"})
        if self.path == "/_traceback":  # logs what a crashing request handler would (alerts)
            print("ERROR Traceback (most recent call last):", flush=True)
            return self._send(500, {"logged": "a traceback"})
        if self.path.startswith("/_sleep/"):  # answers after that many ms (latency tests)
            time.sleep(int(self.path.rsplit("/", 1)[1]) / 1000)
            return self._send(200, {"slept": True})
        if self.path == "/health":
            if os.environ.get("FAIL_HEALTH") or sick.is_set():
                return self._send(503, {"ok": False})
            return self._send(200, {"ok": True})
        self._send(
            200,
            {
                "message": MESSAGE,
                "release": os.environ.get("LAUNCHDECK_RELEASE"),
                "build": os.environ.get("LAUNCHDECK_BUILD"),
                "instance": os.environ.get("LAUNCHDECK_INSTANCE"),
                "greeting": os.environ.get("GREETING", ""),
                "git_sha": os.environ.get("GIT_SHA"),
            },
        )

    def _send(self, status: int, body: dict) -> None:
        data = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: object) -> None:
        if self.path != "/health":
            sys.stdout.write("INFO %s %s\n" % (self.address_string(), fmt % args))


def main() -> None:
    if os.environ.get("CRASH_AT_START"):
        print("ERROR: refusing to start: CRASH_AT_START is set", flush=True)
        sys.exit(3)
    time.sleep(BOOT_DELAY)
    ThreadingHTTPServer.request_queue_size = 128  # the default listen backlog of 5 drops SYNs
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"INFO listening on port {os.environ['PORT']} ({os.environ.get('LAUNCHDECK_RELEASE')})")
    server.serve_forever(poll_interval=0.05)  # SIGTERM -> shutdown() returns this fast
    print("INFO shutting down")


if __name__ == "__main__":
    main()
