"""Alerts as a team meets them: a metric alert fires once within its `for` + 20 s, posts to
the webhook, resolves and posts that; a log alert fires on an app that prints tracebacks; the
built-in alerts fire with no config when an instance is replaced for failing its health check
and when a service keeps crashing; and `launchdeck alerts` lists them with their history."""

import contextlib
import threading
import time

import httpx
import pytest

from tests.harness import copy_example

pytestmark = pytest.mark.e2e

HOST = "hello-staging.localhost"
ALERTS = """
[notify]
webhooks = ["{url}/ok"]
on = ["failed"]

[[alerts]]
name = "errors"
metric = "error_rate"
above = "20%"
for = "10s"
service = "web"

[[alerts]]
name = "tracebacks"
log = "Traceback"
count = 5
within = "1m"
"""


class Traffic(threading.Thread):
    """Half the requests fail (500) until `stop()`; at most `seconds`."""

    def __init__(self, port: int, seconds: float = 90.0) -> None:
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}"
        self.deadline = time.monotonic() + seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=5.0, trust_env=False) as http:
            n = 0
            while not self.stopped.is_set() and time.monotonic() < self.deadline:
                path = "/_status/500" if n % 2 else "/"
                http.get(self.url + path, headers={"Host": HOST})
                n += 1
                time.sleep(0.02)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


def texts_with(hooks, word: str) -> list[str]:
    return [t for t in hooks.texts("/ok") if word in t]


def wait_for_text(hooks, word: str, count: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(texts_with(hooks, word)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return texts_with(hooks, word)


def test_a_metric_alert_fires_once_and_resolves_and_a_log_alert_fires(cp, tmp_path, hooks):
    app = copy_example(tmp_path)
    manifest = app / "launchdeck.toml"
    manifest.write_text(manifest.read_text() + ALERTS.format(url=hooks.url))
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(app), "--app", "hello")

    with httpx.Client(timeout=5.0, trust_env=False) as http:  # the log alert's lines
        for _ in range(5):
            http.get(f"http://127.0.0.1:{cp.http_port}/_traceback", headers={"Host": HOST})
    traffic = Traffic(cp.http_port)
    started = time.monotonic()
    traffic.start()
    fired = wait_for_text(hooks, "errors firing", 1, timeout=10 + 20 + 10)
    fired_after = time.monotonic() - started
    assert fired, hooks.texts("/ok")
    assert fired_after <= 10 + 20 + 10  # `for` + 20 s, and the window the errors began in
    assert "error_rate of web above 20% for 10s" in fired[0] and "hello/staging" in fired[0]
    logged = wait_for_text(hooks, "tracebacks firing", 1, timeout=20)
    assert logged and "5 lines matching 'Traceback' within 1m" in logged[0]
    listed = cp.cli("alerts", "--app", "hello", "--json").json()
    assert {a["name"]: a["state"] for a in listed["alerts"]}["errors"] == "firing"
    time.sleep(10.5)  # an evaluation while the errors go on: no second message
    traffic.stop()
    crash(cp.http_port, hooks)  # while the errors alert resolves

    resolved = wait_for_text(hooks, "errors resolved", 1, timeout=40)
    assert resolved and len(texts_with(hooks, "errors firing")) == 1  # one per episode
    sick = wait_for_text(hooks, "failing-health firing", 1, timeout=30)
    assert sick and "health_replacements above 0 (now 1)" in sick[0]
    shown = cp.cli("alerts", "--app", "hello").out
    assert "errors" in shown and "tracebacks" in shown and "resolved" in shown
    assert "crash-loop (built-in)" in shown and "firing" in shown


def crash(port: int, hooks) -> None:
    """One instance fails its health check (replaced: a crash), then instances exit until the
    built-in crash-loop alert fires (3 crashes within 5 minutes); at most 8 exits."""
    with httpx.Client(timeout=5.0, trust_env=False) as http:
        http.get(f"http://127.0.0.1:{port}/_sicken", headers={"Host": HOST})
        for _ in range(8):
            if wait_for_text(hooks, "crash-loop firing", 1, timeout=4):
                break
            with contextlib.suppress(httpx.HTTPError):  # gone mid-request: a crash all the same
                http.get(f"http://127.0.0.1:{port}/_exit", headers={"Host": HOST})
    [looping] = wait_for_text(hooks, "crash-loop firing", 1, timeout=20)
    assert "crashes above 2" in looping
