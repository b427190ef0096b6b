"""`make demo`: start the control plane, deploy examples/hello to staging, send it traffic,
redeploy a code change under that traffic, and say what happened. Leaves the control plane up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import Load  # noqa: E402

CLI = str(Path(sys.executable).parent / "launchdeck")
HOME = Path(os.environ.get("LAUNCHDECK_HOME") or Path.home() / ".launchdeck")


def say(text: str) -> None:
    print(f"\033[1;36m==> {text}\033[0m", flush=True)


def ld(*args: str, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([CLI, *args], capture_output=quiet, text=True)
    if check and proc.returncode != 0:
        if quiet:
            sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"demo: `launchdeck {' '.join(args)}` failed")
    return proc


def source(message: str) -> Path:
    target = HOME / "demo" / "hello"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "examples" / "hello", target)
    app = target / "app.py"
    app.write_text(app.read_text().replace('"hello from launchdeck"', repr(message)))
    return target


def main() -> None:
    say("starting the control plane")
    ld("server", "start")
    created = ld("apps", "create", "hello", check=False, quiet=True)
    if created.returncode != 0 and "already exists" not in created.stderr:
        sys.exit(created.stderr)

    say("deploying examples/hello to staging")
    ld("deploy", str(source("hello from launchdeck")), "--app", "hello")
    url = ld("url", "--app", "hello", quiet=True).stdout.strip()
    port = int(url.rsplit(":", 1)[1].strip("/"))

    say(f"sending traffic to {url} and redeploying a code change")
    started = time.monotonic()
    with Load(
        port, "hello-staging.localhost", clients=4, max_requests=50_000, max_seconds=120
    ) as load:
        load.wait_for(300, timeout=30)
        switch_from = time.monotonic()
        ld(
            "deploy",
            str(source(f"hello again, changed at {time.strftime('%H:%M:%S')}")),
            "--app",
            "hello",
        )
        switched = time.monotonic()
        load.wait_for(load.total + 300, timeout=30)
    status = json.loads(ld("status", "--app", "hello", "--json", quiet=True).stdout)

    say("what happened")
    print(
        f"  app URL:            {url}  (curl -H 'Host: hello-staging.localhost' 127.0.0.1:{port}/)"
    )
    print(f"  now serving:        {status['release']} ({status['build'][:19]})")
    print(f"  requests sent:      {load.total} in {time.monotonic() - started:.1f}s")
    print(f"  failed requests:    {len(load.failures)}")
    print(f"  redeploy took:      {switched - switch_from:.1f}s")
    print(f"  answered after it:  {', '.join(sorted(load.releases_since(switched)))}")
    print("  the control plane keeps running: .venv/bin/launchdeck ps --app hello")
    if load.failures:
        print("  failures:", *load.failures[:5], sep="\n    ")
        sys.exit(1)


if __name__ == "__main__":
    main()
