"""Autoscaling, measured: how long after a load step that doubles the requests per instance the
first new instance serves (with the default 15 s cooldown and the real metrics path), and the
failed requests over a ramp up and back down."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from tests.harness import EXAMPLE, ControlPlane

from bench.loadgen import Load
from launchdeck.cli.client import Client, Endpoint

HOST = "scaler-staging.localhost"
PAUSE = 0.02  # one client at this pace sends ~45 req/s
TARGET = 60  # req/s per instance: one client is 3/4 of it, two are 1.5x
MANIFEST = f"""
[services.web.autoscale]
min = 1
max = 4
target = {{ requests_per_instance = {TARGET} }}
scale_in_stabilization = "15s"
"""


def scaler_app(tmp: Path) -> Path:
    app = tmp / "scaler"
    shutil.rmtree(app, ignore_errors=True)
    shutil.copytree(EXAMPLE, app)
    manifest = app / "launchdeck.toml"
    text = manifest.read_text().replace('app = "hello"', 'app = "scaler"')
    text = text[: text.index("[services.worker]")].replace("count = 2", "count = 1")
    manifest.write_text(text + MANIFEST)
    return app


def serving(api: Client) -> int:
    instances = api.request("GET", "/v1/apps/scaler/envs/staging/instances")
    return sum(1 for i in instances if i["service"] == "web" and i["state"] == "running")


def wait_for(api: Client, count: int, timeout: float) -> float:
    """Seconds until `count` web instances serve (polled every 0.1 s)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if serving(api) == count:
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError(f"{count} instances never served within {timeout:g}s")


def measure(cp: ControlPlane, tmp: Path) -> dict[str, float | int]:
    cp.cli("apps", "create", "scaler")
    cp.cli("deploy", str(scaler_app(tmp)), "--app", "scaler")
    api = Client(Endpoint.find(cp.env))
    loads = [Load(cp.http_port, HOST, clients=1, max_requests=10**6, max_seconds=600, pause=PAUSE)]
    loads[0].__enter__()
    try:
        time.sleep(15)  # steady at 3/4 of the target: the figure settles, nothing scales
        steady = serving(api)
        loads.append(Load(cp.http_port, HOST, clients=1, max_requests=10**6, pause=PAUSE))
        loads[-1].__enter__()  # the step: twice the requests per instance
        reaction = wait_for(api, 2, timeout=60)
        for _ in range(2):  # up again: four clients ask for three instances or more
            loads.append(Load(cp.http_port, HOST, clients=1, max_requests=10**6, pause=PAUSE))
            loads[-1].__enter__()
        wait_for(api, 4, timeout=90)
        for load in loads[1:]:  # and down: back to one client, then in after the window
            load.stop()
        wait_for(api, 1, timeout=120)
    finally:
        for load in loads:
            load.stop()
    return {
        "scale_out_reaction_s": reaction,
        "autoscale_steady_instances_before_step": steady,
        "autoscale_requests": sum(load.total for load in loads),
        "autoscale_failed_requests": sum(len(load.failures) for load in loads),
    }
