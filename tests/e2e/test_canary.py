"""Canary releases for real: HAProxy weights split the traffic, the analysis reads the request
log, a bad canary is rolled back in its first step (the only failed requests are its own), a
slow one too, a good one reaches 100% with no failed request, and a control plane killed mid-
canary rolls it back when it comes back."""

import re
import subprocess
import time

import pytest

from tests.harness import CLI, Load, copy_example
from tests.webhooks import Webhooks

pytestmark = pytest.mark.e2e

HOST = "hello-staging.localhost"
CANARY = '\n[deploy]\nstrategy = "canary"\nsteps = [10, 50, 100]\npause = "{pause}"\n' + (
    "min_requests = 20\n"
)
ANSWER = '        self._send(\n            200,\n            {\n                "message": MESSAGE,'
FAILING = (
    "        if random.random() < 0.2:\n"
    '            return self._send(500, {"release": os.environ.get("LAUNCHDECK_RELEASE")})\n'
)
SLOW = "        time.sleep(0.3)\n"


def version(tmp_path, name, *, pause="3s", before_answer="", notify=""):
    app = copy_example(tmp_path, name)
    manifest = app / "launchdeck.toml"
    manifest.write_text(manifest.read_text() + CANARY.format(pause=pause) + notify)
    source = app / "app.py"
    text = source.read_text().replace("import json\n", "import json\nimport random\n", 1)
    assert ANSWER in text
    source.write_text(text.replace(ANSWER, before_answer + ANSWER, 1))
    return app


def deploy(cp, app, check=True):
    return cp.cli("deploy", str(app), "--app", "hello", check=check)


def releases_serving(cp):
    return {i["release"] for i in cp.cli("ps", "--app", "hello", "--json").json()}


def test_a_good_canary_goes_step_by_step_to_all_traffic_without_a_failed_request(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    deploy(cp, version(tmp_path, "v1"))  # nothing serves yet: a first deploy rolls
    hooks = Webhooks()
    notify = f'[notify]\nwebhooks = ["{hooks.url}/ok"]\n'
    try:
        with Load(cp.http_port, HOST, clients=4, max_requests=60000, max_seconds=120) as load:
            load.wait_for(200)
            out = deploy(cp, version(tmp_path, "v2", notify=notify)).out
            since = time.monotonic()
            load.wait_for(load.total + 200)
        texts = hooks.wait_for("/ok", 4)
    finally:
        hooks.close()
    # the channel hears of changes of state only: started, each step passed, done
    assert len(texts) == 4, texts
    assert "deploy started" in texts[0] and "deploy succeeded" in texts[3]
    assert all("deploy canary step passed" in t for t in texts[1:3])
    assert load.failures == []
    assert "step 1/3: 10% of web to v2 (1 new instances), 90% to v1" in out
    assert "step 1/3 passed (10%): canary 0.0% errors" in out
    assert "step 2/3 passed (50%)" in out and "deployment succeeded" in out
    assert load.releases_since(since) == {"v2"}
    assert releases_serving(cp) <= {"v2"} | {"v1"}  # v1 may still be finishing its stop
    served = [r for _, r in load.samples]
    assert served.count("v2") > 0 and served.count("v1") > 0


def test_a_canary_failing_a_fifth_of_its_requests_is_rolled_back_in_its_first_step(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    deploy(cp, version(tmp_path, "v1"))
    with Load(cp.http_port, HOST, clients=4, max_requests=60000, max_seconds=120) as load:
        load.wait_for(200)
        out = deploy(cp, version(tmp_path, "v2", pause="30s", before_answer=FAILING), False)
        after = time.monotonic()
        load.wait_for(load.total + 300)
    assert out.code == 1 and "deploy rolled_back" in out.err
    assert "canary analysis failed in step 1: error rate" in out.out + out.err
    assert re.search(r"error rate \d+\.\d% on the canary against 0\.0%", out.out + out.err)
    # the failed requests are the canary's own 500s, and there are few of them
    assert load.failures, "the canary answered some requests"
    assert all(f.startswith("HTTP 500") and '"release": "v2"' in f for f in load.failures)
    assert len(load.failures) < 0.05 * load.total
    assert load.releases_since(after) == {"v1"}  # all traffic back on the stable release
    assert releases_serving(cp) == {"v1"}


def test_a_canary_300ms_slower_is_rolled_back(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    deploy(cp, version(tmp_path, "v1"))
    with Load(cp.http_port, HOST, clients=4, max_requests=60000, max_seconds=120) as load:
        load.wait_for(200)
        out = deploy(cp, version(tmp_path, "v2", pause="30s", before_answer=SLOW), False)
    assert out.code == 1
    assert re.search(r"p95 \d+ ms on the canary against \d+ ms on the stable release", out.err)
    assert load.failures == []
    assert releases_serving(cp) == {"v1"}


def start_deploy(cp, app):
    return subprocess.Popen(
        [CLI, "deploy", str(app), "--app", "hello"],
        env=cp.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_analysis(cp, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = cp.cli("canary", "status", "--app", "hello", "--json").json()
        if shown["running"] and shown["status"] is not None:
            return shown["status"]
        time.sleep(0.3)
    raise AssertionError("the canary never reached its analysis")


def test_promote_ends_the_analysis_and_goes_to_all_traffic(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    deploy(cp, version(tmp_path, "v1"))
    with Load(cp.http_port, HOST, clients=2, max_requests=60000, max_seconds=120) as load:
        load.wait_for(100)
        running = start_deploy(cp, version(tmp_path, "v2", pause="10m"))
        status = wait_for_analysis(cp)
        assert (status["step"], status["percent"], status["release"]) == (1, 10, "v2")
        human = cp.cli("canary", "status", "--app", "hello").out
        assert "canary v2" in human and "step 1/3, 10% of requests" in human
        assert "step 1/3, 10% of requests" in cp.cli("status", "--app", "hello").out
        cp.cli("canary", "promote", "--app", "hello")
        out, _ = running.communicate(timeout=60)
        load.wait_for(load.total + 100)
    assert running.returncode == 0 and "promoted (`launchdeck canary promote`)" in out
    assert load.failures == []
    nothing = cp.cli("canary", "abort", "--app", "hello", check=False)
    assert nothing.code != 0 and "has no canary in its analysis now" in nothing.err


def test_a_control_plane_killed_mid_canary_rolls_it_back_when_it_returns(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    deploy(cp, version(tmp_path, "v1"))
    with Load(cp.http_port, HOST, clients=2, max_requests=60000, max_seconds=180) as load:
        load.wait_for(100)
        running = start_deploy(cp, version(tmp_path, "v2", pause="10m"))
        wait_for_analysis(cp)
        cp.kill9()
        running.kill()
        running.wait()
        load.wait_for(load.total + 100)  # HAProxy serves the split on its own meanwhile
        cp.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            last = cp.cli("status", "--app", "hello", "--json").json()["last_deployment"]
            if last["state"] != "rolling":
                break
            time.sleep(0.3)
        after = time.monotonic()
        load.wait_for(load.total + 200)
    assert last["state"] == "rolled_back"
    assert "restarted during the canary: every request is back on v1" in last["reason"]
    assert load.failures == []
    assert load.releases_since(after) == {"v1"}
    assert releases_serving(cp) == {"v1"}
