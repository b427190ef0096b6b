"""Shared by the add-on integration tests: a scratch directory the `postgres` system account can
reach (pytest's own tmp dirs are mode 0700 under root), free loopback ports, and cleanup by pid."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import psutil

from launchdeck.drivers.local.daemons import wait_gone
from launchdeck.drivers.local.postgres.cluster import installed_versions


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o711)  # searchable (not listable) by the service account
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def kill_pids(pids: Iterable[int]) -> None:
    """SIGKILL whatever of `pids` still runs: the last line of every fixture's cleanup."""
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE:
                os.kill(pid, signal.SIGKILL)
            procs.append(proc)
    assert not wait_gone(procs, 10), f"still running: {procs}"


def newest_postgres() -> str | None:
    versions = installed_versions()
    return versions[-1] if versions else None
