"""Waiting for and stopping processes we did not start as children (daemonized servers).

A daemon's parent is init, which may reap late; a zombie has exited, so it counts as gone here
(psutil's own wait would block until init gets round to it).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterable

import psutil

from launchdeck.system import SYSTEM_CLOCK, Clock, wait_until


def running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_gone(
    procs: Iterable[psutil.Process], timeout: float, *, clock: Clock = SYSTEM_CLOCK
) -> list[psutil.Process]:
    """Wait up to `timeout` seconds for every process to exit; returns those still running."""
    left = list(procs)

    def gone() -> bool:
        left[:] = [p for p in left if running(p)]
        return not left

    wait_until(gone, timeout=timeout, interval=0.02, clock=clock)
    return left


def send(procs: Iterable[psutil.Process], sig: signal.Signals) -> None:
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)


def terminate(procs: list[psutil.Process], timeout: float, *, clock: Clock = SYSTEM_CLOCK) -> None:
    """SIGTERM, then SIGKILL whatever still runs after `timeout` seconds."""
    send(procs, signal.SIGTERM)
    left = wait_gone(procs, timeout, clock=clock)
    send(left, signal.SIGKILL)
    wait_gone(left, 5.0, clock=clock)
