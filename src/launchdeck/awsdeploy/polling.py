"""Look at something on AWS again and again until it is what we wait for, or time is up: the
deadline loop is system.wait_until's; this keeps the last sight, for the result or the error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from launchdeck.system.clock import Clock
from launchdeck.system.waiting import wait_until

Sight = TypeVar("Sight")


def watch(
    look: Callable[[], Sight],
    until: Callable[[Sight], bool],
    *,
    timeout: float,
    interval: float,
    clock: Clock,
) -> tuple[Sight, bool]:
    """The last thing `look` saw, and whether `until` held for it before `timeout` seconds."""
    seen: list[Sight] = []

    def settled() -> bool:
        seen[:] = [look()]
        return until(seen[0])

    done = wait_until(settled, timeout=timeout, interval=interval, clock=clock)
    return seen[0], done
