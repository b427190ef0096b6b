"""An attacker with a deployer token ships an app whose build, release command and web process each
try to read the control plane's secrets, another app's files, another environment's processes
and the daemon's environment. Every attempt fails, and the deployment's events show it."""

import dataclasses
import json
import os
import textwrap
from pathlib import Path

import pytest

from tests.harness import copy_example

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="accounts per app need root (CI runs as root)"),
]

AWS_SECRET = "aws-secret-of-the-daemon-0042"
VICTIM_SECRET = "sk-victim-production-0042"

PROBE = """
import json, os, pwd, sys

targets = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets.json")))


def attempt(path):
    try:
        if os.path.isdir(path):
            if not os.listdir(path):
                return "empty"  # what namespaces show in place of a hidden directory
        else:
            with open(path, "rb") as fh:
                fh.read(64)
        return "READ"
    except OSError as exc:
        return "denied: " + type(exc).__name__


def probe(pids=()):
    found = {name: attempt(path) for name, path in targets["files"].items()}
    for pid in pids:
        found[f"environ of {pid}"] = attempt(f"/proc/{pid}/environ")
    found["daemon environment"] = (
        "LEAKED" if any(k.startswith("AWS_") or k.startswith("LAUNCHDECK_TOKEN") for k in os.environ)
        else "absent"
    )
    found["user"] = pwd.getpwuid(os.getuid()).pw_name
    found["write /usr"] = attempt_write("/usr/launchdeck-was-here")
    for private in ("/tmp", "/dev/shm"):  # its own, and writable (tempfile, multiprocessing)
        wrote = attempt_write(os.path.join(private, "scratch")) == "WROTE"
        found[f"own {private}"] = "usable" if wrote else "NOT"
    return found


def attempt_write(path):
    try:
        with open(path, "w") as fh:
            fh.write("x")
        return "WROTE"
    except OSError as exc:
        return "denied: " + type(exc).__name__


if __name__ == "__main__":
    for name, what in sorted(probe().items()):  # a line each: the CLI wraps long lines
        print(f"PROBE {sys.argv[1]} {name} = {what}", flush=True)
"""

WEB = """
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import probe


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        pids = [p for p in parse_qs(url.query).get("pids", [""])[0].split(",") if p]
        body = json.dumps(probe.probe(pids) if url.path == "/probe" else {"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""

MANIFEST = """
app = "evil"

[build]
command = "python probe.py build"

[release]
command = "python probe.py release"

[services.web]
command = "python web.py"
port = "$PORT"
health = { path = "/health", interval = "200ms", healthy = 1 }
scale = { count = 1 }
"""


def as_holder(cp, token):
    return dataclasses.replace(cp, env={**cp.env, "LAUNCHDECK_TOKEN": token})


def write_attacker(tmp: Path, files: dict[str, str]) -> Path:
    app = tmp / "evil"
    app.mkdir()
    (app / "launchdeck.toml").write_text(MANIFEST)
    (app / "requirements.txt").write_text("")
    (app / "probe.py").write_text(textwrap.dedent(PROBE))
    (app / "web.py").write_text(textwrap.dedent(WEB))
    (app / "targets.json").write_text(json.dumps({"files": files}))
    return app


def probed(lines: list[str], phase: str) -> dict[str, str]:
    found = {}
    for line in lines:
        if f"PROBE {phase} " in line:
            name, _, what = line.split(f"PROBE {phase} ", 1)[1].partition(" = ")
            found[name] = what.strip()
    assert "user" in found, f"no PROBE {phase} lines in:\n" + "\n".join(lines)
    return found


def assert_contained(found: dict[str, str], user: str) -> None:
    leaks = {name: what for name, what in found.items() if what in ("READ", "LEAKED", "WROTE")}
    assert not leaks, f"reached: {leaks}"
    assert found["user"] == user


def test_app_code_reaches_nothing_of_the_control_plane_nor_of_other_apps(cp, tmp_path):
    cp.env["AWS_ACCESS_KEY_ID"] = "AKIADAEMON"
    cp.env["AWS_SECRET_ACCESS_KEY"] = AWS_SECRET
    cp.cli("server", "stop")
    cp.start()  # the daemon now holds AWS keys in its environment

    # a victim app, with a production secret and a running instance
    cp.cli("apps", "create", "victim")
    cp.cli("config", "set", "--secret", f"API_KEY={VICTIM_SECRET}", "--app", "victim", "--env",
           "production")  # fmt: skip
    cp.cli(
        "deploy", str(copy_example(tmp_path, "victim")), "--app", "victim", "--env", "production"
    )
    victim = cp.cli("status", "--app", "victim", "--env", "production", "--json").json()
    victim_pids = [str(i["pid"]) for i in victim["instances"]]
    apps = Path(cp.env["LAUNCHDECK_APPS_DIR"])
    victim_build = apps / "builds" / "builds" / victim["build"].removeprefix("sha256:") / "app"
    server_pid = cp.server_pid()

    files = {
        "api.json": str(cp.home / "api.json"),
        "secret.key": str(cp.home / "secret.key"),
        "launchdeck.db": str(cp.home / "launchdeck.db"),
        "home": str(cp.home),
        "victim's build": str(victim_build / "app.py"),
        "victim's production home": str(apps / "homes" / "victim" / "envs" / "production"),
        "the daemon's environment": f"/proc/{server_pid}/environ",
    }
    cp.cli("apps", "create", "evil")
    deployer = cp.cli("tokens", "create", "--role", "deployer", "--name", "mallory", "--json")
    mallory = as_holder(cp, deployer.json()["token"])
    deploy = mallory.cli("deploy", str(write_attacker(tmp_path, files)), "--app", "evil")

    out = deploy.out.splitlines()
    assert_contained(probed(out, "build"), "ld-evil")
    assert_contained(probed(out, "release"), "ld-evil.staging")
    status, web = cp.get("evil", path=f"/probe?pids={','.join([*victim_pids, str(server_pid)])}")
    assert status == 200
    assert_contained(web, "ld-evil.staging")
    assert (web["own /tmp"], web["own /dev/shm"]) == ("usable", "usable")
    assert set(web) >= {f"environ of {pid}" for pid in victim_pids}

    # what a viewer reads of the deployment shows the refusals and none of the secrets
    owner_token = json.loads((cp.home / "api.json").read_text())["token"]
    for secret in (owner_token, AWS_SECRET, VICTIM_SECRET):
        assert secret not in deploy.out
    # the account, not only the namespace, keeps it out of the victim's (visible) build
    assert "PROBE build victim's build = denied: PermissionError" in deploy.out
    assert web["victim's build"] == "denied: PermissionError"


def test_status_says_what_isolation_the_host_gives(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    status = cp.cli("server", "status", "--json").json()
    assert status["isolation"].startswith(
        "app code runs as its own account per app environment (ld-<app>.<env>; builds as ld-<app>)"
    )
