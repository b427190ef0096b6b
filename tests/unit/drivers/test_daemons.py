from __future__ import annotations

from typing import cast

import psutil
import pytest
from tests.clock import ManualClock

from launchdeck.drivers.local import daemons


class FakeProcess:
    """A daemon that exits (or turns zombie) once the clock reaches `exits_at`."""

    def __init__(self, clock: ManualClock, exits_at: float, *, zombie: bool = False) -> None:
        self.clock, self.exits_at, self.zombie = clock, exits_at, zombie

    def is_running(self) -> bool:
        return self.zombie or self.clock.t < self.exits_at

    def status(self) -> str:
        exited = self.clock.t >= self.exits_at
        return psutil.STATUS_ZOMBIE if exited and self.zombie else psutil.STATUS_SLEEPING


def procs(*fakes: FakeProcess) -> list[psutil.Process]:
    return [cast(psutil.Process, fake) for fake in fakes]


def test_wait_gone_returns_as_soon_as_every_process_has_exited() -> None:
    clock = ManualClock(start=0.0)
    quick, zombie = FakeProcess(clock, 0.03), FakeProcess(clock, 0.05, zombie=True)

    assert daemons.wait_gone(procs(quick, zombie), 5.0, clock=clock) == []
    assert clock.sleeps == pytest.approx([0.02, 0.02, 0.02])  # a zombie counts as gone


def test_wait_gone_returns_what_still_runs_at_the_timeout() -> None:
    clock = ManualClock(start=0.0)
    quick, stuck = FakeProcess(clock, 0.01), FakeProcess(clock, 99.0)

    left = daemons.wait_gone(procs(quick, stuck), 0.1, clock=clock)

    assert left == procs(stuck)
    assert sum(clock.sleeps) == pytest.approx(0.1)


def test_wait_gone_does_not_sleep_for_processes_already_gone() -> None:
    clock = ManualClock(start=0.0)

    assert daemons.wait_gone(procs(FakeProcess(clock, 0.0)), 5.0, clock=clock) == []
    assert clock.sleeps == []
