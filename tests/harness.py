"""Test harness: a real control plane in a temp LAUNCHDECK_HOME on free loopback ports, driven
through the `launchdeck` CLI as a user types it, and a bounded load generator for 127.0.0.1."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from bench.loadgen import Load

__all__ = ["Load"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hello"
CLI = str(Path(sys.executable).parent / "launchdeck")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_range(size: int = 200) -> str:
    """A port range unlikely to collide with another control plane running side by side, and
    below the kernel's ephemeral ports: an outgoing connection (a health check, the load
    generator) may take any of those between an instance's allocation and its bind."""
    first_ephemeral = 32768
    with contextlib.suppress(OSError, ValueError):
        first_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    span = max(size, first_ephemeral - 10000 - size)
    base = 10000 + (os.getpid() * 397 + int(time.time() * 1000)) % span
    return f"{base}-{base + size}"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class ControlPlane:
    home: Path
    env: dict[str, str]
    http_port: int
    started: list[int] = field(default_factory=list)

    def cli(
        self, *args: str, check: bool = True, timeout: float = 120, cwd: Path | None = None
    ) -> Result:
        proc = subprocess.run(
            [CLI, *args], env=self.env, capture_output=True, text=True, timeout=timeout, cwd=cwd
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"launchdeck {' '.join(args)} exited {proc.returncode}:\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        return result

    @property
    def addons(self) -> Path:
        """Where the add-on servers keep their data (outside the home: their accounts reach it)."""
        return Path(self.env["LAUNCHDECK_ADDONS_DIR"])

    @property
    def apps(self) -> Path:
        """Builds and the homes of the app accounts (outside the home, which is private)."""
        return Path(self.env["LAUNCHDECK_APPS_DIR"])

    def server_pid(self) -> int | None:
        try:
            return int((self.home / "server.pid").read_text())
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        self.cli("server", "start")
        pid = self.server_pid()
        assert pid is not None
        self.started.append(pid)

    def kill9(self) -> None:
        pid = self.server_pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).wait(10)
        (self.home / "server.pid").unlink(missing_ok=True)

    def get(self, app: str, env: str = "staging", path: str = "/") -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=5)
        try:
            conn.request("GET", path, headers={"Host": f"{app}-{env}.localhost"})
            resp = conn.getresponse()
            body = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(body)
        except ValueError:
            return resp.status, {"raw": body.decode(errors="replace")}

    def log_tail(self, lines: int = 80) -> str:
        """The end of the control plane's own log (server.log in its home)."""
        try:
            text = (self.home / "server.log").read_text(errors="replace")
        except OSError as exc:
            return f"no server.log: {exc}"
        return "\n".join(["-- server.log --", *text.splitlines()[-lines:]])

    def stop_everything(self) -> None:
        """Stop the control plane, every instance and HAProxy it started (by pid)."""
        with contextlib.suppress(Exception):
            if self.server_pid() is not None:
                self.cli("server", "stop", "--all", check=False, timeout=90)
        for pid in self._pids_under_home():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for pid in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.home.parent, ignore_errors=True)

    def _pids_under_home(self) -> list[int]:
        pids = []
        for pidfile in self.home.rglob("*.pid"):
            with contextlib.suppress(OSError, ValueError):
                pids.append(int(pidfile.read_text().split()[0]))
        return pids


def make_control_plane(tmp: Path) -> ControlPlane:
    # unix socket paths are short (108 bytes): keep the home out of pytest's long tmp paths
    top = Path(tempfile.mkdtemp(prefix="ld-", dir="/tmp"))
    top.chmod(0o711)  # as root, PostgreSQL and app accounts must reach their dirs under it
    home = top / "home"
    http_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAUNCHDECK_")}
    env.update(
        LAUNCHDECK_HOME=str(home),
        LAUNCHDECK_API_PORT=str(free_port()),
        LAUNCHDECK_HTTP_PORT=str(http_port),
        LAUNCHDECK_PORT_RANGE=free_range(),
        LAUNCHDECK_ADDONS_DIR=str(top / "addons"),
        LAUNCHDECK_APPS_DIR=str(top / "apps"),
        NO_COLOR="1",
        COLUMNS="200",
    )
    return ControlPlane(home=home, env=env, http_port=http_port)


def copy_example(tmp: Path, name: str = "app") -> Path:
    target = tmp / name
    shutil.copytree(EXAMPLE, target)
    return target


def send_each(
    port: int, host: str, paths: list[str], clients: int = 6
) -> tuple[Counter[int], list[float]]:
    """GET every path once through 127.0.0.1:`port`, `clients` at a time; the statuses and the
    latencies (ms) as the client saw them."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    todo = iter(paths)

    def client() -> None:
        with httpx.Client(timeout=10.0, trust_env=False) as http:
            for path in todo:
                started = time.perf_counter()
                response = http.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
                took = (time.perf_counter() - started) * 1000
                with lock:
                    statuses[response.status_code] += 1
                    latencies.append(took)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return statuses, latencies
