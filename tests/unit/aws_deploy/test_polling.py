from __future__ import annotations

from launchdeck.awsdeploy.polling import watch
from tests.clock import ManualClock


def test_watch_returns_the_sight_that_satisfied_it() -> None:
    clock = ManualClock()
    sights = iter(["CREATE_PENDING", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"])

    seen, done = watch(
        lambda: next(sights),
        lambda status: status == "CREATE_COMPLETE",
        timeout=60,
        interval=5,
        clock=clock,
    )

    assert (seen, done) == ("CREATE_COMPLETE", True)
    assert clock.sleeps == [5, 5]


def test_at_the_deadline_it_returns_the_last_sight_for_the_error() -> None:
    clock = ManualClock()
    looks = iter(range(1000))

    seen, done = watch(lambda: next(looks), lambda _: False, timeout=12, interval=5, clock=clock)

    assert not done
    assert seen == 3  # looked at 0s, 5s, 10s and once more at the deadline
    assert clock.t == 1000.0 + 12
