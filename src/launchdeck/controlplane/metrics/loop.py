"""Every 10 s: the router's finished request windows, the collectors' samples and the
platform's own figures (the reconciler's crashes and replacements) into the time-series store;
every minute, roll-ups and pruning. Runs in its own thread; a failing pass is logged and the
next one runs as usual."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from launchdeck.controlplane.metrics.store import MetricsStore, RequestPoint, as_point, summed
from launchdeck.controlplane.ports import RequestSource, ResourceSource
from launchdeck.domain import Instance
from launchdeck.domain.metrics import RequestWindow, Sample, Series
from launchdeck.system import SYSTEM_CLOCK, Clock

log = logging.getLogger("launchdeck.metrics")

T = TypeVar("T")
INTERVAL = 10.0
ROLL_UP_EVERY = 60.0
_RELEASE = re.compile(r"\.v(\d+)-")  # instance ids: `web.v3-1a2b3c`


class MetricsLoop:
    def __init__(
        self,
        store: MetricsStore,
        requests: RequestSource | None,
        resources: ResourceSource | None,
        instances: Callable[[], list[Instance]],
        *,
        interval: float = INTERVAL,
        clock: Clock = SYSTEM_CLOCK,
        platform: Callable[[], list[Sample]] | None = None,
        after_pass: Callable[[float], None] | None = None,
    ) -> None:
        """`platform()` gives the control plane's own figures; `after_pass(now)` runs after every
        pass (alerts are evaluated there)."""
        self.store = store
        self.platform = platform
        self.after_pass = after_pass
        self.requests, self.resources = requests, resources
        self.instances = instances
        self.interval = interval
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rolled_at = 0.0
        self._moving = threading.Lock()  # held while windows move from the router to the store
        self._totals: dict[Series, RequestPoint] = {}  # since this control plane started
        self.latest: list[Sample] = []  # the last pass's samples

    def totals(self) -> list[RequestPoint]:
        """Every series' requests since this control plane started, the live windows included
        (Prometheus counters: they only grow, and restart from 0 with the control plane)."""
        with self._moving:
            live = [labelled(w) for w in self.requests.peek()] if self.requests else []
            return list(_added(dict(self._totals), live).values())

    def read(self, view: Callable[[list[RequestWindow]], T]) -> T:
        """`view(live windows)`, reading the store while no window moves into it: each request
        is counted once, in the store or in the live windows."""
        with self._moving:
            live = [labelled(w) for w in self.requests.peek()] if self.requests else []
            return view(live)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="metrics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush(everything=True)  # what the last windows counted is kept

    def _run(self) -> None:
        while not self._stop.wait(self.interval - self.clock.now() % self.interval + 0.05):
            try:
                self.flush()
            except Exception:
                log.exception("metrics pass failed; the next runs in %gs", self.interval)

    def flush(self, *, everything: bool = False) -> None:
        """One pass: store what was counted and sampled; roll up once a minute."""
        if self.requests is not None:
            with self._moving:
                windows = [labelled(w) for w in self.requests.take(everything=everything)]
                self.store.add_windows(windows)
                self._totals = _added(self._totals, windows)
        latest = self.resources.collect(self.instances()) if self.resources is not None else []
        if self.platform is not None:
            latest += self.platform()
        self.store.add_samples(latest)
        self.latest = latest
        now = self.clock.now()
        if now - self._rolled_at >= ROLL_UP_EVERY:
            self.store.roll_up(now)
            self._rolled_at = now
        if self.after_pass is not None:
            self.after_pass(now)


def _added(
    totals: dict[Series, RequestPoint], windows: list[RequestWindow]
) -> dict[Series, RequestPoint]:
    for w in windows:
        point = replace(as_point(w), t=0, step=0)
        old = totals.get(w.series)
        totals[w.series] = point if old is None else summed([old, point])
    return totals


def labelled(window: RequestWindow) -> RequestWindow:
    """The release label, read from the instance's id."""
    found = _RELEASE.search(window.series.instance)
    if found is None:
        return window
    return replace(window, series=replace(window.series, release=f"v{found.group(1)}"))
