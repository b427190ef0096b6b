"""Keeping a provider's flag set current: one long poll at a time with the set's ETag; on any
failure (refused, 5xx, 401, a body it cannot read) the last good set stays and the poll is
retried after a capped backoff. Each kind of failure is logged once, and the recovery once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import ServerError
from .server import Fetched, FlagServer, NotModified

log = logging.getLogger("launchdeck_openfeature")


@dataclass(frozen=True)
class Backoff:
    """The pause after the n-th failure in a row: `first`, doubling, at most `cap`."""

    first: float = 0.5
    cap: float = 5.0

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.cap, self.first * 2.0 ** min(failures - 1, 32))


class FlagSync:
    """Polls `server` and hands each new set to `install`. `run` is the poll thread's body;
    `first` and `poll_once` are its steps, for a caller (and tests) to drive one at a time.

    `min_interval` spaces two polls' starts: a server that answered 304 at once (no long poll)
    would otherwise be asked again in a tight loop."""

    def __init__(
        self,
        server: FlagServer,
        install: Callable[[Fetched], None],
        *,
        wait: float,
        backoff: Backoff = Backoff(),
        min_interval: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.etag: str | None = None
        self._server = server
        self._install = install
        self._wait = wait
        self._backoff = backoff
        self._min_interval = min_interval
        self._monotonic = monotonic
        self._failures = 0
        self._problem: str | None = None

    def first(self, *, timeout: float) -> bool:
        """One fetch that answers at once (wait=0): at start. Whether a set was read."""
        return self._step(wait=0.0, timeout=timeout)

    def poll_once(self) -> float:
        """One long poll; the seconds to pause before the next."""
        started = self._monotonic()
        if not self._step(wait=self._wait, timeout=None):
            return self._backoff.delay(self._failures)
        return max(0.0, self._min_interval - (self._monotonic() - started))

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                pause = self.poll_once()
            except Exception:  # a bug must not end the thread: the set would freeze silently
                log.exception("launchdeck flags: the poll failed; retrying")
                self._failures += 1
                pause = self._backoff.delay(self._failures)
            if pause > 0:
                stop.wait(pause)

    def _step(self, *, wait: float, timeout: float | None) -> bool:
        try:
            outcome = self._server.fetch(self.etag, wait=wait, timeout=timeout)
        except ServerError as err:
            self._failed(err)
            return False
        match outcome:
            case Fetched():
                self.etag = outcome.etag
                self._install(outcome)
            case NotModified():
                pass
        self._recovered()
        return True

    def _failed(self, err: ServerError) -> None:
        self._failures += 1
        if err.kind == "aborted" or err.kind == self._problem:
            return
        self._problem = err.kind
        log.warning("launchdeck flags: %s; keeping the flags it has and retrying", err.message)

    def _recovered(self) -> None:
        self._failures = 0
        if self._problem is not None:
            log.warning("launchdeck flags: %s answers again", self._server.url)
            self._problem = None
