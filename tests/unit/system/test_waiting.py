from __future__ import annotations

import pytest

from launchdeck.system import LaunchdeckError, wait_until
from tests.clock import ManualClock


def test_wait_until_returns_as_soon_as_the_condition_holds() -> None:
    clock = ManualClock()
    answers = iter([False, False, True])

    assert wait_until(lambda: next(answers), timeout=5, interval=0.1, clock=clock)
    assert clock.sleeps == [0.1, 0.1]


def test_wait_until_asks_once_more_at_the_deadline_then_gives_up() -> None:
    clock = ManualClock()
    asked: list[float] = []

    def never() -> bool:
        asked.append(clock.t)
        return False

    assert not wait_until(never, timeout=0.25, interval=0.1, clock=clock)
    assert clock.sleeps == pytest.approx([0.1, 0.1, 0.05])
    assert asked[-1] == pytest.approx(asked[0] + 0.25)


def test_an_error_carries_its_fix_as_a_field() -> None:
    error = LaunchdeckError("port 80 is taken", "pick another with LAUNCHDECK_HTTP_PORT")

    assert (error.message, error.fix) == (
        "port 80 is taken",
        "pick another with LAUNCHDECK_HTTP_PORT",
    )
    assert str(error) == "port 80 is taken; fix: pick another with LAUNCHDECK_HTTP_PORT"
    assert str(LaunchdeckError("gone")) == "gone"
