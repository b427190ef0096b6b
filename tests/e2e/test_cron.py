"""Scheduled jobs as a team runs them: a job every 2 s runs on schedule, the start that comes
while its previous run still goes is skipped, a failing run reaches the webhook, and a control
plane that stops and starts again neither loses a start nor runs one twice."""

import itertools
import json
import time

import psutil
import pytest

from tests.harness import copy_example
from tests.webhooks import Webhooks

pytestmark = pytest.mark.e2e

JOBS = """
[cron.tick]
every = "2s"
command = "echo tick; sleep 3"

[cron.doomed]
every = "2s"
command = "echo doomed; exit 4"
"""


def posted(hooks: Webhooks) -> list[str]:
    """Each message the webhook received, whole."""
    return [json.dumps(m) for m in hooks.received["/ok"]]


def runs(cp, job: str) -> list[dict]:
    return cp.cli("cron", "runs", job, "--app", "hello", "--json").json()


def eventually(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)
    return result


def deploy_with(cp, tmp_path, jobs: str, hooks: Webhooks) -> None:
    """examples/hello with `jobs`, its failures posted to `hooks`."""
    app = copy_example(tmp_path, "hello")
    manifest = app / "launchdeck.toml"
    notify = f'\n[notify]\nwebhooks = ["{hooks.url}/ok"]\n'
    manifest.write_text(manifest.read_text() + jobs + notify)
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(app), "--app", "hello", timeout=300)


def test_jobs_run_on_schedule_skip_overlaps_and_survive_a_restart(cp, tmp_path, hooks):
    deploy_with(cp, tmp_path, JOBS, hooks)

    def settled() -> list[dict]:
        found = runs(cp, "tick")
        states = [r["state"] for r in found]
        return found if states.count("succeeded") >= 2 and "skipped" in states else []

    ticks = eventually(settled, timeout=40)
    skipped = [r for r in ticks if r["state"] == "skipped"]
    assert all("still runs (concurrency forbid)" in r["reason"] for r in skipped)
    done = [r for r in ticks if r["state"] == "succeeded"]
    assert all(r["exit_code"] == 0 and "tick" in r["tail"] for r in done)

    failed = eventually(lambda: [r for r in runs(cp, "doomed") if r["state"] == "failed"])
    assert failed[0]["exit_code"] == 4 and failed[0]["tail"] == ["doomed"]
    eventually(lambda: [m for m in posted(hooks) if "cron doomed" in m and "exit code 4" in m])

    listed = {j["name"]: j for j in cp.cli("cron", "list", "--app", "hello", "--json").json()}
    assert listed["tick"]["when"] == "every 2s" and listed["tick"]["last_run"] is not None

    cp.cli("server", "stop")
    stopped_at = time.time()
    time.sleep(5)  # two starts of each job pass while it is down
    cp.cli("server", "start")
    time.sleep(6)
    for job in ("tick", "doomed"):
        found = sorted(runs(cp, job), key=lambda r: r["created_at"])
        starts = [r["scheduled_for"] for r in found if r["scheduled_for"] is not None]
        assert len(starts) == len(set(starts)), f"{job}: a start ran twice"
        # the first pass after the restart decides the starts missed while down: once, as the
        # latest of them (however long the restart took); then every 2 s again, none lost
        after = [r["scheduled_for"] for r in found if r["created_at"] > stopped_at]
        assert len(after) >= 2 and after[0] > stopped_at, (job, stopped_at, after)
        assert [round(b - a, 3) for a, b in itertools.pairwise(after)] == [2.0] * (len(after) - 1)
        before = [s for s in starts if s < stopped_at]
        missed = (after[0] - before[-1]) / 2 - 1  # starts between the last before and the first
        assert missed >= 2, f"{job}: the control plane was down for 2 starts or more ({missed})"
    assert all(r["state"] != "running" or r["pid"] for r in runs(cp, "tick"))


SLOW = """
[cron.slow]
schedule = "0 0 1 1 *"  # once a year: the test triggers it
command = "echo slow; exec sleep 60"
timeout = "4s"
"""


def test_a_run_past_its_timeout_is_stopped_and_reported_across_a_restart(cp, tmp_path, hooks):
    """The timeout is kept with the run: a control plane that restarts while the run goes
    still stops it at its timeout, and the webhook hears of it once."""
    deploy_with(cp, tmp_path, SLOW, hooks)

    started = cp.cli("cron", "trigger", "slow", "--app", "hello").out
    [run] = runs(cp, "slow")
    assert run["id"] in started and run["state"] == "running" and run["timeout"] == 4
    cp.cli("server", "stop")
    cp.cli("server", "start")

    [ended] = eventually(lambda: [r for r in runs(cp, "slow") if r["state"] == "timed_out"])
    assert ended["id"] == run["id"] and ended["reason"] == "stopped at its 4 s timeout"
    assert ended["finished_at"] - ended["started_at"] < 30  # not its 60 s sleep
    assert not psutil.pid_exists(run["pid"]) or psutil.Process(run["pid"]).status() == "zombie"
    notices = eventually(lambda: [m for m in posted(hooks) if "cron slow" in m])
    time.sleep(1)
    assert len([m for m in posted(hooks) if "cron slow" in m]) == 1, notices
    assert "timed_out (stopped at its 4 s timeout)" in notices[0]
