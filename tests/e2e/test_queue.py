"""Background work on one host: examples/queue (a web service enqueues on the Redis add-on, a
Dramatiq worker service consumes) loses no job when its worker is SIGKILLed mid-run. The
reconciler replaces the worker, Dramatiq requeues the dead worker's unacknowledged messages once
its heartbeat expires, and every job id ends up done: at least once, duplicates allowed."""

import http.client
import json
import os
import shutil
import signal
import time
from typing import Any

import pytest

from tests.harness import ROOT, ControlPlane

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

QUEUE = ROOT / "examples" / "queue"
JOBS = 1_000


def call(port: int, method: str, path: str) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers={"Host": "queue-staging.localhost"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    except (OSError, ValueError):
        return 0, {}
    finally:
        conn.close()


def stats(port: int) -> dict[str, int]:
    status, body = call(port, "GET", "/stats")
    assert status == 200, body
    return body


def wait_for(check, *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def worker(cp: ControlPlane) -> dict[str, Any] | None:
    running = [
        i
        for i in cp.cli("ps", "--app", "queue", "--json").json()
        if i["service"] == "worker" and i["state"] == "running" and i["pid"]
    ]
    return running[0] if len(running) == 1 else None


def sigkill(pid: int) -> None:
    """SIGKILL the instance by pid: its whole process group when it leads one (the jail and the
    worker inside it), else the process alone."""
    if os.getpgid(pid) == pid:
        os.killpg(pid, signal.SIGKILL)
    else:
        os.kill(pid, signal.SIGKILL)


def test_no_job_is_lost_when_the_worker_is_sigkilled_mid_run(cp, tmp_path):
    app = tmp_path / "queue"
    shutil.copytree(QUEUE, app)
    cp.cli("apps", "create", "queue")
    cp.cli("deploy", str(app), "--app", "queue", timeout=300)
    assert "REDIS_URL" in cp.cli("config", "list", "--app", "queue").out
    victim = wait_for(lambda: worker(cp), timeout=30, what="a running worker")

    status, body = call(cp.http_port, "POST", f"/jobs?n={JOBS}")
    assert status == 202, body
    assert body == {"enqueued": JOBS, "first": "job-1", "last": f"job-{JOBS}"}

    # about half done: the worker is mid-run, holding a job or more and its prefetched ones
    half = wait_for(
        lambda: (s := stats(cp.http_port))["done"] >= JOBS // 2 and s,
        timeout=120,
        what="half of the jobs done",
        interval=0.02,
    )
    assert half["done"] < JOBS, half
    sigkill(victim["pid"])
    killed_at = time.monotonic()
    after_kill = stats(cp.http_port)
    held = after_kill["unacked"] - after_kill["queued"]  # fetched, never acknowledged

    try:
        final = wait_for(
            lambda: (s := stats(cp.http_port))["done"] == JOBS and s["unacked"] == 0 and s,
            timeout=120,
            what=f"all {JOBS} jobs done after the worker was killed",
            interval=0.1,
        )
    except AssertionError as late:
        raise AssertionError(f"{late}; stats now {stats(cp.http_port)}") from None
    recovered_in = time.monotonic() - killed_at
    replacement = wait_for(lambda: worker(cp), timeout=30, what="a running worker")

    print(
        f"\nkilled at {half['done']} done, holding {held} unacknowledged; all {JOBS} done "
        f"{recovered_in:.1f} s later; {final['processed']} executions"
    )
    assert held > 0, after_kill  # the kill did strand messages: the recovery was needed
    assert final["enqueued"] == JOBS
    assert final["done"] == JOBS  # none lost
    assert final["processed"] >= JOBS  # at least once: duplicates allowed
    assert final["queued"] == 0
    assert replacement["pid"] != victim["pid"] and replacement["id"] != victim["id"]


AUTOSCALED = """
[services.worker.autoscale]
min = 1
max = 3
target = { queue_depth = 50 }
scale_out_cooldown = "2s"
scale_in_stabilization = "6s"
"""


def queue_line(cp: ControlPlane) -> str:
    return next(line for line in cp.cli("ps", "--app", "queue").out.splitlines() if "queue" in line)


def worker_status(cp: ControlPlane) -> dict[str, Any]:
    services = cp.cli("autoscale", "status", "--app", "queue", "--json").json()["services"]
    return next(s for s in services if s["service"] == "worker")


def queue_depths(cp: ControlPlane) -> list[float]:
    """The worker's queue_depth samples above 0 (the metrics store one every 10 s)."""
    found = cp.cli("metrics", "--app", "queue", "--service", "worker", "--json").json()
    points = found["services"].get("worker", {"points": []})["points"]
    return [p["queue_depth"] for p in points if p.get("queue_depth")]


def test_ps_and_metrics_show_the_backlog_and_the_worker_scales_on_it(cp, tmp_path):
    """A worker that declares its queue: ps shows the messages waiting, the metrics keep them
    as queue_depth, and `target = { queue_depth = 50 }` runs 3 workers for a backlog of
    hundreds (jobs of ~0.2 s), and 1 again once it is worked off."""
    app = tmp_path / "queue"
    shutil.copytree(QUEUE, app)
    (app / "launchdeck.toml").write_text((app / "launchdeck.toml").read_text() + AUTOSCALED)
    cp.cli("apps", "create", "queue")
    cp.cli("config", "set", "JOB_SECONDS=0.2", "--app", "queue")
    cp.cli("deploy", str(app), "--app", "queue", timeout=300)
    wait_for(lambda: worker(cp), timeout=30, what="a running worker")
    assert queue_line(cp) == "worker queue redis:///dramatiq:default: 0 waiting"

    status, body = call(cp.http_port, "POST", "/jobs?n=600")
    assert status == 202, body
    waiting = int(queue_line(cp).rsplit(": ", 1)[1].split()[0])
    assert 300 < waiting <= 600  # 4 threads at ~20 jobs/s have taken a few
    listed = [
        i for i in cp.cli("ps", "--app", "queue", "--json").json() if i["service"] == "worker"
    ]
    assert all(i["queue"] == "redis:///dramatiq:default" for i in listed)

    scaled = wait_for(
        lambda: (s := worker_status(cp))["desired"] == 3 and s, timeout=30, what="3 workers"
    )
    backlog = next(t for t in scaled["targets"] if t["metric"] == "queue_depth")
    assert backlog["target"] == 50
    decisions = cp.cli("autoscale", "status", "--app", "queue", "--json").json()["decisions"]
    assert any(
        d["kind"] == "scale_out" and "queue_depth" in d["reason"] and d["desired"] == 3
        for d in decisions
    ), decisions

    gauged = wait_for(lambda: queue_depths(cp), timeout=30, what="a queue_depth sample above 0")
    assert max(gauged) <= 600
    wait_for(lambda: stats(cp.http_port)["done"] == 600, timeout=60, what="600 jobs done")
    wait_for(lambda: worker_status(cp)["desired"] == 1, timeout=40, what="back to 1 worker")
    assert queue_line(cp) == "worker queue redis:///dramatiq:default: 0 waiting"
