"""Autoscaling on one host, for real: HAProxy's request log feeds the figures, the autoscaler
scales through the health-gated path while load runs (no request fails), a manual `scale`
pauses it until `autoscale resume`, and the host's free memory caps it."""

import time

import pytest

from tests.harness import Load, copy_example

pytestmark = pytest.mark.e2e

HOST = "hello-staging.localhost"
AUTOSCALE = """
[services.web.autoscale]
min = 1
max = 3
target = {{ requests_per_instance = {target} }}
scale_in_stabilization = "{stabilization}"
"""


def autoscaled_app(tmp_path, stabilization="8s", extra="", target=10):
    app = copy_example(tmp_path)
    manifest = app / "launchdeck.toml"
    text = manifest.read_text().replace("scale = { count = 2 }\n", "scale = { count = 1 }\n")
    text = text.replace("[services.worker]", extra + "[services.worker]")
    manifest.write_text(text + AUTOSCALE.format(stabilization=stabilization, target=target))
    return app


def status(cp):
    return cp.cli("autoscale", "status", "--app", "hello", "--json").json()


def web_count(cp):
    return next(s for s in status(cp)["services"] if s["service"] == "web")["desired"]


def wait_until(check, timeout=60.0, every=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"not within {timeout}s")


def test_load_scales_out_then_in_without_a_failed_request(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(autoscaled_app(tmp_path)), "--app", "hello")
    assert web_count(cp) == 1
    with Load(
        cp.http_port, HOST, clients=2, max_requests=40000, max_seconds=120, pause=0.01
    ) as load:
        wait_until(lambda: web_count(cp) == 3)  # ~100 req/s against 10 per instance: max
        wait_until(lambda: len(running_web(cp)) == 3)
        load.wait_for(load.total + 200)
    assert load.failures == []
    outs = status(cp)["decisions"][::-1]  # oldest first
    assert [d["kind"] for d in outs] in (["scale_out"], ["scale_out", "scale_out"])
    assert outs[0]["current"] == 1 and outs[-1]["desired"] == 3  # as the figure climbed
    for out in outs:
        assert "requests_per_instance" in out["reason"] and "target 10 req/s" in out["reason"]
        assert out["value"] > 10

    wait_until(lambda: web_count(cp) == 1)  # no load: in, once the 8 s window has passed
    decisions = status(cp)["decisions"]
    assert decisions[0]["kind"] == "scale_in" and decisions[0]["desired"] == 1
    deployments = cp.cli("status", "--app", "hello", "--json").json()["last_deployment"]
    assert deployments["kind"] == "autoscale"
    human = cp.cli("autoscale", "status", "--app", "hello").out
    assert "requests_per_instance" in human and "scale_in" in human


def test_a_manual_scale_pauses_autoscaling_until_resume(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(autoscaled_app(tmp_path)), "--app", "hello")
    out = cp.cli("scale", "web=2", "--app", "hello").out
    assert "autoscaling of web paused" in out and "launchdeck autoscale resume web" in out
    [web] = [s for s in status(cp)["services"] if s["service"] == "web"]
    assert web["paused"] and web["desired"] == 2
    time.sleep(12)  # no load: unpaused, the autoscaler would go to 1 after the 8 s window
    assert web_count(cp) == 2
    resumed = cp.cli("autoscale", "resume", "--app", "hello").out
    assert "autoscaling resumed for web" in resumed
    wait_until(lambda: web_count(cp) == 1, timeout=40)

    bad = cp.cli("autoscale", "resume", "worker", "--app", "hello", check=False)
    assert (
        bad.code != 0 and "'worker' does not autoscale" in bad.err and "use one of: web" in bad.err
    )


def test_the_hosts_free_memory_caps_autoscaling_and_says_so(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    huge = 'resources = { memory = "64TiB" }\n'  # more than any host here has free
    cp.cli("deploy", str(autoscaled_app(tmp_path, extra=huge)), "--app", "hello")
    with Load(cp.http_port, HOST, clients=2, max_requests=40000, max_seconds=90, pause=0.01):
        wait_until(lambda: any(s["capped"] for s in status(cp)["services"]))
        wait_until(
            lambda: any(
                a["name"] == "autoscale-capped"
                for a in cp.cli("alerts", "--app", "hello", "--json").json()["history"]
            ),
            timeout=45,
        )
    decisions = status(cp)["decisions"]
    assert (
        decisions[0]["kind"] == "capped" and "room for no more instances" in decisions[0]["reason"]
    )
    assert web_count(cp) == 1
    human = cp.cli("autoscale", "status", "--app", "hello").out
    assert "capped: 2 more do not fit in the host's free memory" in human


def running_web(cp):
    return [
        i
        for i in cp.cli("ps", "--app", "hello", "--json").json()
        if i["service"] == "web" and i["state"] == "running"
    ]


def test_a_steady_load_does_not_make_the_count_flap(cp, tmp_path):
    """About 45 req/s against 25 per instance settles at 2 (22 each is within the tolerance);
    over four stabilization windows after that, at most one change."""
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(autoscaled_app(tmp_path, stabilization="5s", target=25)), "--app", "hello")
    with Load(
        cp.http_port, HOST, clients=1, max_requests=40000, max_seconds=120, pause=0.02
    ) as load:
        wait_until(lambda: web_count(cp) >= 2)
        time.sleep(6)  # settled: the figure covers only the new count now
        settled = len(status(cp)["decisions"])
        time.sleep(4 * 5)
        after = status(cp)["decisions"]
    assert load.failures == []
    assert len(after) - settled <= 1, after
    assert web_count(cp) in (2, 3)
