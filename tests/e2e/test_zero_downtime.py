"""The must-show rollouts: traffic through HAProxy never fails while the app is redeployed,
scaled, restarted, rolled back, loses an instance, gets a bad release, or loses its control plane."""

import os
import signal
import subprocess
import time

import pytest

from tests.harness import CLI, Load, copy_example

pytestmark = pytest.mark.e2e

HOST = "hello-staging.localhost"


def deploy_version(cp, tmp_path, message, name):
    app = copy_example(tmp_path, name)
    source = app / "app.py"
    source.write_text(source.read_text().replace('"hello from launchdeck"', repr(message)))
    return cp.cli("deploy", str(app), "--app", "hello", check=False)


def current_release(cp):
    return cp.cli("status", "--app", "hello", "--json").json()["release"]


def test_zero_failed_requests_through_every_kind_of_change(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    assert deploy_version(cp, tmp_path, "one", "v1").code == 0
    switches = []
    with Load(cp.http_port, HOST, clients=4, max_requests=20000) as load:
        load.wait_for(200)

        assert deploy_version(cp, tmp_path, "two", "v2").code == 0  # redeploy
        switches.append((time.monotonic(), current_release(cp)))
        load.wait_for(load.total + 200)

        cp.cli("scale", "web=4", "--app", "hello")
        load.wait_for(load.total + 200)
        cp.cli("scale", "web=2", "--app", "hello")
        load.wait_for(load.total + 200)

        cp.cli("restart", "--app", "hello")
        load.wait_for(load.total + 200)

        rollback_started = time.monotonic()
        cp.cli("rollback", "--app", "hello")
        switches.append((time.monotonic(), current_release(cp)))
        load.wait_for(load.total + 200)

        ps = cp.cli("ps", "--app", "hello", "--json").json()
        web = [i for i in ps if i["service"] == "web" and i["state"] == "running"]
        os.killpg(web[0]["pid"], signal.SIGKILL)
        load.wait_for(max(load.total + 400, 2100))
        load.stop()

    print(
        f"\nrequests: {load.total}, failed: {len(load.failures)}, stale keep-alive retries: {load.retried}"
    )
    assert load.total >= 2000
    assert load.failures == []
    # each release alone answers from the end of its switch to the start of the next change
    ends = [rollback_started, float("inf")]
    for (at, release), end in zip(switches, ends, strict=True):
        answered = load.releases_between(at, end)
        assert answered <= {release}, f"after the switch to {release}: {answered}"
    # the killed instance was replaced
    web = [i for i in cp.cli("ps", "--app", "hello", "--json").json() if i["service"] == "web"]
    assert len(web) == 2


@pytest.mark.parametrize("breakage", ["CRASH_AT_START", "FAIL_HEALTH"])
def test_a_bad_release_rolls_back_automatically_with_zero_failed_requests(cp, tmp_path, breakage):
    cp.cli("apps", "create", "hello")
    assert deploy_version(cp, tmp_path, "good", "good").code == 0
    bad = copy_example(tmp_path, "bad")
    manifest = bad / "launchdeck.toml"
    # a short grace so a never-healthy release is given up on quickly
    manifest.write_text(manifest.read_text().replace('grace = "20s"', 'grace = "3s"'))
    source = bad / "app.py"
    source.write_text(
        source.read_text().replace(
            "def main() -> None:\n", f"def main() -> None:\n    os.environ['{breakage}'] = '1'\n"
        )
    )
    with Load(cp.http_port, HOST, clients=2, max_requests=5000) as load:
        load.wait_for(100)
        out = cp.cli("deploy", str(bad), "--app", "hello", check=False)
        load.wait_for(load.total + 100)
    assert out.code == 1
    assert "deploy rolled_back" in out.err
    if breakage == "CRASH_AT_START":
        assert "exited with code 3 before passing its health check" in out.err
        assert (
            "refusing to start: CRASH_AT_START is set" in out.err
        )  # the instance's last log lines
    else:
        assert "did not pass its health check (GET /health) within the 3s grace period" in out.err
    assert load.failures == []
    assert load.releases_since(0) == {"v1"}
    assert current_release(cp) == "v1"
    ps = cp.cli("ps", "--app", "hello", "--json").json()
    assert {i["release"] for i in ps} == {"v1"} and len(ps) == 3


def test_sigkill_of_the_control_plane_mid_deploy(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    assert deploy_version(cp, tmp_path, "one", "v1").code == 0
    slow = copy_example(tmp_path, "slow")
    manifest = slow / "launchdeck.toml"
    manifest.write_text(
        manifest.read_text().replace(
            'command = "python app.py"', 'command = "env BOOT_DELAY=3 python app.py"'
        )
    )
    with Load(cp.http_port, HOST, clients=2, max_requests=10000) as load:
        load.wait_for(100)
        deploy = subprocess.Popen(
            [CLI, "deploy", str(slow), "--app", "hello"],
            env=cp.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # wait until the new instances have been started, then kill the control plane
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ps = cp.cli("ps", "--app", "hello", "--json").json()
            if any(i["release"] == "v2" for i in ps):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the new release never started")
        cp.kill9()
        deploy.kill()
        deploy.wait()
        load.wait_for(load.total + 200)  # still serving without a control plane
        cp.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = cp.cli("status", "--app", "hello", "--json").json()
            last = status["last_deployment"]
            if last["state"] in ("succeeded", "rolled_back", "failed"):
                break
            time.sleep(0.2)
        load.wait_for(load.total + 200)
    assert last["state"] == "succeeded", last["reason"]
    assert status["release"] == "v2"
    assert load.failures == []
    ps = [i for i in cp.cli("ps", "--app", "hello", "--json").json() if i["state"] != "draining"]
    assert {i["release"] for i in ps} == {"v2"} and len(ps) == 3


def test_a_worker_failing_its_gate_leaves_the_old_web_serving(cp, tmp_path):
    """Services roll out side by side and the old ones leave only once every service passed:
    a new web that passed its gate is removed with the failed worker, and the old web, never
    drained, serves throughout."""
    cp.cli("apps", "create", "hello")
    assert deploy_version(cp, tmp_path, "good", "good").code == 0
    before = cp.cli("ps", "--app", "hello", "--json").json()
    bad = copy_example(tmp_path, "bad-worker")
    worker = bad / "worker.py"
    worker.write_text(worker.read_text().replace("running = True\n", "sys.exit(3)\n"))
    with Load(cp.http_port, HOST, clients=2, max_requests=5000) as load:
        load.wait_for(100)
        out = cp.cli("deploy", str(bad), "--app", "hello", check=False)
        load.wait_for(load.total + 100)
    assert out.code == 1 and "deploy rolled_back" in out.err
    assert "worker.v2-" in out.err and "exited with code 3" in out.err
    assert load.failures == []
    assert load.releases_since(0) == {"v1"}
    assert cp.cli("ps", "--app", "hello", "--json").json() == before


def test_a_deploy_is_done_once_traffic_moved_and_the_old_instances_stop_after(cp, tmp_path):
    """The old instances are drained before the deploy reports; their stop (up to their
    stop_timeout) comes after, and the environment's next change waits for it."""
    cp.cli("apps", "create", "hello")
    slow = copy_example(tmp_path, "slow-stop")
    source = slow / "app.py"
    source.write_text(
        source.read_text().replace(
            "signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown)",
            "signal.signal(signal.SIGTERM, lambda *_: threading.Timer(5, server.shutdown)",
        )
    )
    manifest = slow / "launchdeck.toml"
    manifest.write_text(
        manifest.read_text().replace('stop_timeout = "10s"', 'stop_timeout = "30s"')
    )
    assert cp.cli("deploy", str(slow), "--app", "hello").code == 0
    with Load(cp.http_port, HOST, clients=2, max_requests=10000) as load:
        load.wait_for(100)
        assert deploy_version(cp, tmp_path, "two", "v2").code == 0
        since, count = time.monotonic(), load.total
        ps = cp.cli("ps", "--app", "hello", "--json").json()
        old = [i for i in ps if i["release"] == "v1" and i["service"] == "web"]
        assert [i["state"] for i in old] == ["draining", "draining"]  # still finishing their stop
        load.wait_for(count + 200)
        assert load.releases_since(since) == {"v2"}  # drained: none of it reached v1

        cp.cli("scale", "web=3", "--app", "hello")  # waits for the stop, then runs
        ps = cp.cli("ps", "--app", "hello", "--json").json()
        assert {i["release"] for i in ps} == {"v2"}
        assert [i["service"] for i in ps].count("web") == 3
    assert load.failures == []
