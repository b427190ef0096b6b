"""The CLI as a user types it, against a real control plane, HAProxy and app processes."""

import http.client
import json
import os
import signal
import time

import pytest

from tests.harness import Load, copy_example

pytestmark = pytest.mark.e2e


def test_deploy_and_operate_an_app(cp, tmp_path):
    app = copy_example(tmp_path)
    cp.cli("apps", "create", "hello")
    out = cp.cli("deploy", str(app), "--app", "hello")
    assert "Python app detected" in out.out
    assert "deployment succeeded" in out.out

    url = cp.cli("url", "--app", "hello").out.strip()
    assert url == f"http://hello-staging.localhost:{cp.http_port}/"
    status, body = cp.get("hello")
    assert status == 200 and body["release"] == "v1" and body["build"].startswith("sha256:")

    ps = cp.cli("ps", "--app", "hello", "--json").json()
    assert sorted(i["service"] for i in ps) == ["web", "web", "worker"]
    for inst in ps:
        assert {"service", "release", "state", "health", "port", "pid"} <= set(inst)
        assert inst["state"] == "running" and inst["release"] == "v1"
        os.kill(inst["pid"], 0)  # the pid is real
    assert {i["health"] for i in ps if i["service"] == "web"} == {"healthy"}

    # config change: new release, rolling restart, the instances see it
    cp.cli("config", "set", "GREETING=hi", "--app", "hello")
    assert cp.cli("config", "get", "GREETING", "--app", "hello").out.strip() == "hi"
    assert cp.cli("config", "list", "--app", "hello", "--json").json() == {"GREETING": "hi"}
    status, body = cp.get("hello")
    assert body["release"] == "v2" and body["greeting"] == "hi"

    rels = cp.cli("releases", "--app", "hello", "--json").json()
    assert [r["name"] for r in rels] == ["v2", "v1"] and rels[0]["current"]
    assert rels[0]["build"] == rels[1]["build"]  # a config change does not rebuild

    # rollback with no version goes to the previous release (as a new release v3)
    cp.cli("rollback", "--app", "hello")
    status, body = cp.get("hello")
    assert body["release"] == "v3" and body["greeting"] == ""

    cp.cli("scale", "web=3", "--app", "hello")
    ps = cp.cli("ps", "--app", "hello", "--json").json()
    assert sum(1 for i in ps if i["service"] == "web") == 3

    before = {i["id"] for i in ps}
    cp.cli("restart", "--app", "hello")
    after = cp.cli("ps", "--app", "hello", "--json").json()
    # the old instances may still be finishing their stop: drained, they serve nobody
    assert not before & {i["id"] for i in after if i["state"] != "draining"}

    st = cp.cli("status", "--app", "hello", "--json").json()
    assert st["release"] == "v3" and st["formation"] == {"web": 3, "worker": 1}
    assert st["last_deployment"]["state"] == "succeeded"

    time.sleep(1.0)  # the log pump ingests twice a second
    logs = cp.cli("logs", "--app", "hello", "--service", "worker", "--json").out.splitlines()
    entries = [json.loads(line) for line in logs]
    assert entries and all(e["service"] == "worker" for e in entries)
    assert any("worker started" in e["line"] for e in entries)
    grep = cp.cli("logs", "--app", "hello", "--grep", "listening on port", "--since", "1h").out
    assert "listening on port" in grep and "worker" not in grep

    listed = cp.cli("apps", "list", "--json").json()
    assert [a["name"] for a in listed] == ["hello"]

    pids = [i["pid"] for i in cp.cli("ps", "--app", "hello", "--json").json()]
    bad = cp.cli("apps", "destroy", "hello", check=False)
    assert bad.code != 0 and "--confirm hello" in bad.err
    cp.cli("apps", "destroy", "hello", "--confirm", "hello")
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert cp.get("hello")[0] == 404


def test_bad_input_gets_a_clear_error_and_changes_nothing(cp, tmp_path):
    missing = cp.cli("deploy", str(copy_example(tmp_path)), "--app", "nope", check=False)
    assert missing.code == 1
    assert "app 'nope' not found" in missing.err and "launchdeck apps create nope" in missing.err

    cp.cli("apps", "create", "hello")
    typo = copy_example(tmp_path, "typo")
    manifest = typo / "launchdeck.toml"
    manifest.write_text(manifest.read_text().replace('stop_timeout = "10s"', 'stop_timout = "10s"'))
    out = cp.cli("deploy", str(typo), "--app", "hello", check=False)
    assert out.code == 1
    assert "services.web.stop_timout: unknown key" in out.err and "stop_timeout" in out.err

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README").write_text("nothing to run here\n")
    out = cp.cli("deploy", str(empty), "--app", "hello", check=False)
    assert out.code == 1 and "no launchdeck.toml or Procfile" in out.err
    assert cp.cli("releases", "--app", "hello", "--json").json() == []

    cp.cli("deploy", str(copy_example(tmp_path, "good")), "--app", "hello")
    out = cp.cli("scale", "wbe=3", "--app", "hello", check=False)
    assert out.code == 1
    assert "has no service 'wbe' (it has: web, worker)" in out.err
    assert cp.cli("status", "--app", "hello", "--json").json()["formation"] == {
        "web": 2,
        "worker": 1,
    }

    wrong = dict(
        cp.env,
        LAUNCHDECK_TOKEN="not-the-token",
        LAUNCHDECK_API_URL=json.loads((cp.home / "api.json").read_text())["url"],
    )
    import subprocess

    from tests.harness import CLI

    proc = subprocess.run([CLI, "apps", "list"], env=wrong, capture_output=True, text=True)
    assert proc.returncode == 1 and "HTTP 401" in proc.stderr

    out = cp.cli("deploy", str(tmp_path / "nothing"), "--app", "hello", check=False)
    assert out.code != 0 and "not a directory" in out.err


def test_server_stop_leaves_apps_serving_and_stop_all_stops_them(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    pids = [i["pid"] for i in cp.cli("ps", "--app", "hello", "--json").json()]
    cp.cli("server", "stop")
    assert cp.get("hello")[0] == 200
    for pid in pids:
        os.kill(pid, 0)
    cp.start()
    assert [i["pid"] for i in cp.cli("ps", "--app", "hello", "--json").json()] == pids
    cp.cli("server", "stop", "--all")
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(OSError):
        cp.get("hello")


def test_a_crashed_instance_is_replaced(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    victim = next(
        i for i in cp.cli("ps", "--app", "hello", "--json").json() if i["service"] == "worker"
    )
    os.killpg(victim["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        workers = [
            i for i in cp.cli("ps", "--app", "hello", "--json").json() if i["service"] == "worker"
        ]
        if workers and workers[0]["id"] != victim["id"] and workers[0]["state"] == "running":
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the crashed worker was not replaced")


def test_an_instance_failing_its_health_check_is_replaced_without_failed_requests(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    web = [i for i in cp.cli("ps", "--app", "hello", "--json").json() if i["service"] == "web"]
    victim = web[0]
    with Load(
        cp.http_port, "hello-staging.localhost", clients=2, max_requests=5000, max_seconds=60
    ) as load:
        load.wait_for(50)
        conn = http.client.HTTPConnection("127.0.0.1", victim["port"], timeout=2)
        conn.request("GET", "/_sicken")
        assert conn.getresponse().status == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ps = cp.cli("ps", "--app", "hello", "--json").json()
            web = [i for i in ps if i["service"] == "web"]
            if (
                victim["id"] not in {i["id"] for i in web}
                and len(web) == 2
                and all(i["state"] == "running" for i in web)
            ):
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"the failing instance was not replaced: {web}")
        load.wait_for(load.total + 50)
    assert load.failures == []
    with pytest.raises(ProcessLookupError):
        os.kill(victim["pid"], 0)


def test_a_killed_haproxy_is_restarted_with_every_route(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    router = cp.cli("server", "status", "--json").json()["router"]
    assert router["running"]
    os.kill(router["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            status, body = cp.get("hello")
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("HAProxy was not restarted")
    assert body["release"] == "v1"
    # the old worker may answer a moment after its master died: the restart is what counts
    while True:
        new = cp.cli("server", "status", "--json").json()["router"]
        if (new["running"] and new["pid"] != router["pid"]) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert new["running"] and new["pid"] != router["pid"]
