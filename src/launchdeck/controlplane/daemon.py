"""The control-plane process: `python -m launchdeck.controlplane.daemon` (what `server start`
runs in its own session), and the helpers `server start|stop|status` use to find it."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from launchdeck.controlplane.api import create_api
from launchdeck.controlplane.service import ControlPlane
from launchdeck.controlplane.settings import Settings
from launchdeck.system import FileLock, atomic_write

log = logging.getLogger("launchdeck")


class _Server(uvicorn.Server):
    """uvicorn re-raises the signal it caught after shutting down, which would kill us before
    our own cleanup; we handle the signals ourselves instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def load_or_create_token(path: Path) -> str:
    try:
        token = str(json.loads(path.read_text())["token"])
        if token:
            return token
    except (OSError, ValueError, KeyError):
        pass
    return secrets.token_urlsafe(32)


def write_credentials(settings: Settings, token: str) -> None:
    payload = {"url": settings.api_url, "token": token, "pid": os.getpid()}
    atomic_write(settings.credentials, json.dumps(payload, indent=2) + "\n", mode=0o600)


def serve(settings: Settings) -> int:
    settings.home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.home / "server.lock")
    if not lock.acquire(blocking=False):
        print(f"launchdeck: a control plane already runs for {settings.home}", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    token = load_or_create_token(settings.credentials)
    cp = ControlPlane(settings)
    cp.start()
    write_credentials(settings, token)
    atomic_write(settings.pidfile, f"{os.getpid()}\n")
    server = _Server(
        uvicorn.Config(
            create_api(cp, token),
            host=settings.bind,
            port=settings.api_port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
    )
    everything = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal everything
        everything = everything or signum == signal.SIGUSR1  # `server stop --all`
        server.should_exit = True

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        signal.signal(signum, request_stop)
    try:
        server.run()
    finally:
        cp.shutdown(everything=everything)
        settings.pidfile.unlink(missing_ok=True)
        lock.release()
        log.info("control plane stopped%s", " with every app and the router" if everything else "")
    return 0


def main() -> None:
    sys.exit(serve(Settings.from_environ()))


if __name__ == "__main__":
    main()
