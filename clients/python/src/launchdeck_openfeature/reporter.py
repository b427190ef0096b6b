"""Reporting the newest app version evaluation contexts carry (`app_version`), so the server's
`latest` keeps up with the clients: once per newer version, from the reporter's own thread.

Evaluation only does a set lookup for a version it has seen; a new one is parsed and compared,
and a newer one is handed over (a lock, an event). The thread reports the newest pending
version unless the flag set already knows one as new, and retries a failed report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .errors import ServerError
from .sync import Backoff
from .versions import Version

log = logging.getLogger("launchdeck_openfeature")

SEEN_LIMIT = 1024  # distinct version strings remembered; then forgotten at once, and re-parsed


class AppVersionReporter:
    def __init__(self, latest: Callable[[], str | None], *, backoff: Backoff = Backoff()) -> None:
        self._latest = latest
        self._backoff = backoff
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._newest: Version | None = None
        self._pending: str | None = None
        self._wake = threading.Event()
        self._problem: str | None = None

    def saw(self, raw: object) -> None:
        """An evaluation context's `app_version` (any value; only versions count). Cheap."""
        if not isinstance(raw, str) or raw in self._seen:
            return
        if len(self._seen) >= SEEN_LIMIT:
            self._seen.clear()
        self._seen.add(raw)
        version = Version.parse(raw)
        if version is None:
            return
        with self._lock:
            if self._newest is not None and version.key <= self._newest.key:
                return
            self._newest, self._pending = version, raw
        self._wake.set()

    def wake(self) -> None:
        """Make `run` look at its stop event now (the provider is shutting down)."""
        self._wake.set()

    def run(self, stop: threading.Event, send: Callable[[str], None]) -> None:
        """The reporter thread's body: reports with `send` until `stop` is set."""
        while True:
            self._wake.wait()
            if stop.is_set():
                return
            self._wake.clear()
            self._report_pending(stop, send)

    def _report_pending(self, stop: threading.Event, send: Callable[[str], None]) -> None:
        failures = 0
        while not stop.is_set():
            with self._lock:
                version = self._pending
            if version is None or not self._news(version):
                return
            try:
                send(version)
            except ServerError as err:
                failures += 1
                self._failed(err)
                stop.wait(self._backoff.delay(failures))
                continue
            with self._lock:
                if self._pending == version:
                    self._pending = None
            self._problem = None

    def _news(self, version: str) -> bool:
        """Whether the server may not know `version` yet: newer than its `latest`."""
        latest = self._latest()
        known = None if latest is None else Version.parse(latest)
        parsed = Version.parse(version)
        return parsed is not None and (known is None or parsed.key > known.key)

    def _failed(self, err: ServerError) -> None:
        if err.kind == "aborted" or err.kind == self._problem:
            return
        self._problem = err.kind
        log.warning("launchdeck flags: cannot report app versions: %s; retrying", err.message)
