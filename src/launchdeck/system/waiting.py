"""Waiting for a condition with a deadline: the one loop for what was written by hand in many
places (a pidfile to appear, a socket to answer, a process group to exit)."""

from __future__ import annotations

from collections.abc import Callable

from launchdeck.system.clock import SYSTEM_CLOCK, Clock


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.05,
    clock: Clock = SYSTEM_CLOCK,
) -> bool:
    """Call `condition` until it is true (True) or `timeout` seconds have passed (False); it is
    always called at least once, and once more at the deadline."""
    deadline = clock.monotonic() + timeout
    while True:
        if condition():
            return True
        left = deadline - clock.monotonic()
        if left <= 0:
            return False
        clock.sleep(min(interval, left))
