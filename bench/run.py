"""`make bench`: the figures the issues ask for, as `name: value` lines, measured side by side in
one run on this machine (absolute times drift on a shared host; the ratios are the point)."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import EXAMPLE, ControlPlane, free_port, make_control_plane  # noqa: E402

from bench.loadgen import Load  # noqa: E402
from launchdeck.cli.client import Client, Endpoint  # noqa: E402

HOST = "bench-staging.localhost"
RUNS = 5


def figure(name: str, value: float | int, unit: str = "") -> None:
    shown = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"{name}: {shown}{unit}", flush=True)


def bench_app(tmp: Path, n: int, boot_delay: float = 0.0) -> Path:
    """examples/hello as a web-only, 2-instance service; each copy differs in code only.
    `boot_delay` makes it boot like a framework app (imports, connection pools) would."""
    app = tmp / f"src{n}-{boot_delay:g}"
    shutil.rmtree(app, ignore_errors=True)
    shutil.copytree(EXAMPLE, app)
    manifest = app / "launchdeck.toml"
    text = manifest.read_text().replace('app = "hello"', 'app = "bench"')
    text = text[: text.index("[services.worker]")]
    if boot_delay:
        text = text.replace('"python app.py"', f'"env BOOT_DELAY={boot_delay:g} python app.py"')
    manifest.write_text(text)
    source = app / "app.py"
    source.write_text(source.read_text().replace('"hello from launchdeck"', repr(f"build {n}")))
    return app


def health_gate_s(cp: ControlPlane) -> float:
    """How long the last deployment's new instances took from start to passing their health
    gate, from its recorded events: the part of a deploy the manifest's health settings set."""
    api = Client(Endpoint.find(cp.env))
    dep = api.request("GET", "/v1/apps/bench/envs/staging")["last_deployment"]
    events = list(api.stream(f"/v1/deployments/{dep['id']}/events", {}))
    started = [e["at"] for e in events if e["kind"] == "instance_started"]
    healthy = [e["at"] for e in events if e["kind"] == "instance_healthy"]
    return max(healthy) - min(started)


def boot_to_healthy(app: Path, boot_delay: float = 0.0) -> float:
    """Start the app by hand and time until its health path answers 200."""
    port = free_port()
    env = dict(os.environ, PORT=str(port), BOOT_DELAY=str(boot_delay))
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=app,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while time.monotonic() - started < 30:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return time.monotonic() - started
            except OSError:
                time.sleep(0.005)
        raise RuntimeError("the app never became healthy")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def throughput(port: int, host: str, seconds: float = 3.0, connections: int = 32) -> float:
    """Requests per second from wrk (or, without it, the Python load generator). One client
    thread: on a 2-core host a second one takes the core the app or the router needs."""
    if shutil.which("wrk"):
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "-H",
                f"Host: {host}",
                f"http://127.0.0.1:{port}/",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            raise RuntimeError(f"wrk saw errors: {out}")
        assert match, out
        return float(match.group(1))
    with Load(
        port, host, clients=connections, max_requests=10**9, max_seconds=seconds, pause=0
    ) as load:
        time.sleep(seconds)
    return load.ok / seconds


def side_by_side(instance_port: int, router_port: int, pairs: int = 3) -> tuple[float, float]:
    """Median requests/s direct to one instance and through the router, measured in alternating
    pairs so that drift on a shared machine hits both sides alike."""
    direct, routed = [], []
    for _ in range(pairs):
        direct.append(throughput(instance_port, "localhost"))
        routed.append(throughput(router_port, HOST))
    return statistics.median(direct), statistics.median(routed)


def main() -> None:
    from bench import autoscale, aws_synth, dashboard, flags_errors, jobs, metrics, postgres

    for name, value in aws_synth.measure().items():
        figure(name, value)
    for name, value in postgres.measure().items():
        figure(name, value)
    tmp = Path(tempfile.mkdtemp(prefix="launchdeck-bench-"))
    cp = make_control_plane(tmp)
    try:
        cp.start()
        cp.cli("apps", "create", "bench")
        cp.cli("deploy", str(bench_app(tmp, 0)), "--app", "bench")  # warm: dependency env built

        with Load(cp.http_port, HOST, clients=4, max_requests=10**6, max_seconds=900) as load:
            load.wait_for(100)
            for delay, suffix in ((0.0, ""), (1.0, "_1s_boot_app")):
                deploys, boots, gates = [], [], []
                for n in range(1, RUNS + 1):
                    app = bench_app(tmp, n, delay)
                    boots.append(boot_to_healthy(app, delay))
                    started = time.monotonic()
                    cp.cli("deploy", str(app), "--app", "bench")
                    deploys.append(time.monotonic() - started)
                    gates.append(health_gate_s(cp))
                deploy_s, boot_s = statistics.median(deploys), statistics.median(boots)
                gate_s = statistics.median(gates)
                figure(f"deploy_code_only_s{suffix}", deploy_s)
                figure(f"deploy_health_gate_s{suffix}", gate_s)
                # what launchdeck itself adds: CLI start, upload, build, router, drain
                figure(f"deploy_platform_overhead_s{suffix}", deploy_s - gate_s)
                figure(f"app_boot_to_healthy_s{suffix}", boot_s)
                figure(f"deploy_overhead_ratio{suffix}", deploy_s / boot_s)
            load.wait_for(load.total + 100)
        figure("deploy_requests_under_load", load.total)
        figure("deploy_failed_requests", len(load.failures))

        web = [i for i in cp.cli("ps", "--app", "bench", "--json").json() if i["service"] == "web"]
        direct, routed_two = side_by_side(web[0]["port"], cp.http_port)
        cp.cli("scale", "web=1", "--app", "bench")
        one = cp.cli("ps", "--app", "bench", "--json").json()[0]
        direct_one, routed_one = side_by_side(one["port"], cp.http_port)
        figure("direct_rps", direct_one)
        figure("router_rps", routed_one)
        figure("router_throughput_ratio", routed_one / direct_one)  # request logging on
        figure("router_throughput_ratio_2_instances", routed_two / direct)

        figure(
            "metrics_overhead_ratio",
            metrics.logging_overhead(cp, one["port"], HOST, throughput, tmp),
        )
        cpu_pct, rps = metrics.ingest_cpu(cp, HOST, throughput)
        figure("metrics_ingest_rps", rps)
        figure("metrics_ingest_cpu_pct_at_rps", cpu_pct)
        figure("metrics_ingest_cpu_pct", cpu_pct * 2000 / rps)  # scaled to 2,000 req/s
        sent, lost, cut_off = metrics.lost_requests(cp, HOST)
        figure("metrics_requests_sent", sent)  # by wrk, flat out: far above 2,000 req/s
        figure("metrics_lost_requests", lost)  # sent but not counted
        figure("metrics_cut_off_requests_counted", cut_off)  # in flight as wrk stopped (<= 32)
        figure("metrics_idle_cpu_pct", metrics.idle_cpu(cp, "bench"))
        for name, value in autoscale.measure(cp, tmp).items():
            figure(name, value)
        for name, value in dashboard.measure(cp).items():
            figure(name, value)
        for name, value in flags_errors.measure(cp).items():
            figure(name, value)
        for name, value in jobs.measure(cp).items():
            figure(name, value)
    finally:
        cp.stop_everything()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
