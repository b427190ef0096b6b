"""One worker thread per environment: its deployments run one at a time, in order, and the
reconciler leaves an environment alone while it has work queued or running."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("launchdeck.workers")

Key = tuple[str, str]


class EnvWorker:
    def __init__(self, key: Key) -> None:
        self.key = key
        self.lock = threading.Lock()  # held by a running job, or by the reconciler's repair
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self._pending = 0
        self._count_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._loop, name=f"env-{key[0]}-{key[1]}", daemon=True
        )
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def submit(self, job: Callable[[], None]) -> None:
        with self._count_lock:
            self._pending += 1
        self._jobs.put(job)

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                with self.lock:
                    job()
            except BaseException:  # even SystemExit: a dead thread would strand every next job
                log.exception("job for %s/%s failed", *self.key)
            finally:
                with self._count_lock:
                    self._pending -= 1


class Workers:
    def __init__(self) -> None:
        self._workers: dict[Key, EnvWorker] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: Key) -> EnvWorker:
        with self._lock:
            worker = self._workers.get(key)
            if worker is None:
                worker = self._workers[key] = EnvWorker(key)
            return worker
