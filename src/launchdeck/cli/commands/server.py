"""`launchdeck server start|stop|status`: the control-plane daemon's lifecycle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from launchdeck.cli.client import Client, CliError, Endpoint, home
from launchdeck.system import wait_until

START_TIMEOUT = 30.0


def server_pid(root: Path) -> int | None:
    try:
        pid = int((root / "server.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def start(*, foreground: bool) -> str:
    root = home()
    if foreground:
        os.execv(sys.executable, [sys.executable, "-m", "launchdeck.controlplane.daemon"])
    if (pid := server_pid(root)) is not None:
        return f"control plane already running (pid {pid})"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)  # the daemon keeps it so
    log_fd = os.open(root / "server.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(log_fd, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "launchdeck.controlplane.daemon"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )

    def serving() -> bool:
        if proc.poll() is not None:
            tail = (root / "server.log").read_text(errors="replace").splitlines()[-15:]
            raise CliError(
                "the control plane exited at start:\n" + "\n".join(tail),
                f"see {root / 'server.log'}",
            )
        return server_pid(root) == proc.pid and _answers(root)

    if not wait_until(serving, timeout=START_TIMEOUT, interval=0.1):
        raise CliError("the control plane did not answer in time", f"see {root / 'server.log'}")
    return f"control plane started (pid {proc.pid}), API at {local(root).url}"


def local(root: Path) -> Endpoint:
    """The control plane of this home, whatever LAUNCHDECK_API_URL names: `server` commands
    manage the local daemon, with the token in its api.json."""
    return Endpoint.find({"LAUNCHDECK_HOME": str(root)})


def _answers(root: Path) -> bool:
    try:
        Client(local(root)).request("GET", "/v1/status")
    except CliError:
        return False
    return True


def stop(*, everything: bool, timeout: float = 60.0) -> str:
    root = home()
    pid = server_pid(root)
    if pid is None:
        return "control plane is not running"
    os.kill(pid, signal.SIGUSR1 if everything else signal.SIGTERM)
    if not wait_until(lambda: not _alive(pid), timeout=timeout, interval=0.1):
        raise CliError(
            f"control plane (pid {pid}) did not stop within {timeout:g}s",
            f"kill it with: kill {pid}",
        )
    if everything:
        return "control plane, apps and router stopped"
    return "control plane stopped (apps keep serving)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def status() -> dict[str, Any]:
    root = home()
    pid = server_pid(root)
    if pid is None:
        return {"running": False, "home": str(root)}
    info = Client(local(root)).request("GET", "/v1/status")
    return {"running": True, "pid": pid, **info}


def credentials() -> dict[str, object]:
    return dict(json.loads((home() / "api.json").read_text()))
