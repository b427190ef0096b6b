"""One-off runs, cron and queues, measured: what `launchdeck run -- true` takes beside another
CLI call that reaches the API (`ps`), how late cron starts `every = "2s"` runs against their
schedule, and how long after a backlog lands a worker autoscaled on `queue_depth` runs 3."""

from __future__ import annotations

import http.client
import shutil
import statistics
import time
from pathlib import Path

from tests.harness import EXAMPLE, ROOT, ControlPlane

from launchdeck.cli.client import Client, Endpoint

CALLS = 5
CRON = '\n[cron.tick]\nevery = "2s"\ncommand = "true"\n'
QUEUE = ROOT / "examples" / "queue"
AUTOSCALED = """
[services.worker.autoscale]
min = 1
max = 3
target = { queue_depth = 50 }
scale_in_stabilization = "10s"
"""


def timed(cp: ControlPlane, *args: str) -> float:
    started = time.monotonic()
    cp.cli(*args)
    return time.monotonic() - started


def runs(cp: ControlPlane) -> dict[str, float]:
    app = Path(cp.home).parent / "jobs"  # the harness's scratch directory
    shutil.rmtree(app, ignore_errors=True)
    shutil.copytree(EXAMPLE, app)
    manifest = app / "launchdeck.toml"
    text = manifest.read_text().replace('app = "hello"', 'app = "jobs"')
    manifest.write_text(text + CRON)
    cp.cli("apps", "create", "jobs")
    cp.cli("deploy", str(app), "--app", "jobs")
    run_s, cli_s = [], []
    for _ in range(CALLS):  # side by side: the machine's drift touches both alike
        run_s.append(timed(cp, "run", "--app", "jobs", "--", "true"))
        cli_s.append(timed(cp, "ps", "--app", "jobs"))
    late = cron_lateness(cp)
    cp.cli("apps", "destroy", "jobs", "--confirm", "jobs", check=False)
    return {
        "run_attached_s": statistics.median(run_s),
        "cli_call_s": statistics.median(cli_s),
        "run_overhead_s": statistics.median(run_s) - statistics.median(cli_s),
        "cron_start_lateness_s": statistics.median(late),
        "cron_start_lateness_max_s": max(late),
    }


def cron_lateness(cp: ControlPlane, count: int = 6) -> list[float]:
    """Seconds between each of `count` cron runs' scheduled start and its process start."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = cp.cli("cron", "runs", "--app", "jobs", "--json").json()
        started = [r for r in found if r["started_at"] and r["scheduled_for"]]
        if len(started) >= count:
            return [r["started_at"] - r["scheduled_for"] for r in started[:count]]
        time.sleep(1)
    raise RuntimeError(f"fewer than {count} cron runs started within 60 s")


def queue_reaction(cp: ControlPlane) -> dict[str, float]:
    app = Path(cp.home).parent / "queue"
    shutil.rmtree(app, ignore_errors=True)
    shutil.copytree(QUEUE, app)
    (app / "launchdeck.toml").write_text((app / "launchdeck.toml").read_text() + AUTOSCALED)
    cp.cli("apps", "create", "queue")
    cp.cli("config", "set", "JOB_SECONDS=0.2", "--app", "queue")
    cp.cli("deploy", str(app), "--app", "queue", timeout=300)
    api = Client(Endpoint.find(cp.env))
    conn = http.client.HTTPConnection("127.0.0.1", cp.http_port, timeout=10)
    conn.request("POST", "/jobs?n=600", headers={"Host": "queue-staging.localhost"})
    assert conn.getresponse().status == 202
    enqueued = time.monotonic()
    while time.monotonic() - enqueued < 60:
        instances = api.request("GET", "/v1/apps/queue/envs/staging/instances")
        workers = [i for i in instances if i["service"] == "worker" and i["state"] == "running"]
        if len(workers) == 3:
            break
        time.sleep(0.1)
    else:
        raise RuntimeError("the worker never ran 3 instances within 60 s")
    reaction = time.monotonic() - enqueued
    cp.cli("apps", "destroy", "queue", "--confirm", "queue", check=False)
    return {"queue_scale_out_reaction_s": reaction}


def measure(cp: ControlPlane) -> dict[str, float]:
    return {**runs(cp), **queue_reaction(cp)}
