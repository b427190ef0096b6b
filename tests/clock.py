"""The one manual clock for tests: time moves only when the test moves it (`advance`) or when
the code under test sleeps, which never waits for real."""

from __future__ import annotations

from collections.abc import Callable


class ManualClock:
    """A `launchdeck.system.Clock` whose wall and monotonic time are one number, `t`.

    `sleep` records what was asked, moves time on by it (by at least `min_sleep`, so a loop that
    sleeps 0 still reaches its deadline) and then runs the `on_sleep` hooks: the moment in which
    a test's world changes (a process writes a line, a database comes back)."""

    def __init__(self, start: float = 1000.0, *, min_sleep: float = 0.0) -> None:
        self.t = start
        self.min_sleep = min_sleep
        self.sleeps: list[float] = []
        self.on_sleep: list[Callable[[], None]] = []

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, self.min_sleep)
        for hook in list(self.on_sleep):
            hook()

    def advance(self, seconds: float) -> None:
        self.t += seconds
