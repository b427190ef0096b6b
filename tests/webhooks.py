"""A local fake of the `[notify]` webhooks (Slack-compatible receivers): it records every JSON
message posted to it by path; `/fail` answers 500, `/hang` holds the request until `close()`,
any other path answers 200."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Webhooks:
    def __init__(self) -> None:
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.release = threading.Event()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hooks.received[self.path].append(body)
                if self.path == "/hang":
                    hooks.release.wait(60)
                self.send_response(500 if self.path == "/fail" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self, path: str = "/ok") -> list[str]:
        return [m["text"] for m in self.received[path]]

    def wait_for(self, path: str, count: int, timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.received[path]) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.texts(path)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
