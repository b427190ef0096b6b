"""The backup schedule's own thread: every `interval` it looks at each cluster an environment
uses and lets BackupService.tend take, verify and expire backups there.

A base backup and its verification take as long as the data is large, so they run here, never
on the reconcile loop nor a deployment's worker. `kick` asks for a pass now (a restore's first
backup is verified soon after it is taken).
"""

from __future__ import annotations

import logging
import threading

from launchdeck.controlplane.databases.backups import BackupService
from launchdeck.system.errors import LaunchdeckError

log = logging.getLogger("launchdeck.backups")


class BackupScheduler:
    def __init__(
        self, service: BackupService, *, interval: float = 60.0, first_after: float = 30.0
    ) -> None:
        self.service = service
        self.interval = interval
        self.first_after = first_after
        self._stop = threading.Event()
        self._kick = threading.Event()
        self._thread: threading.Thread | None = None
        service.on_taken = self.kick

    def start(self) -> None:
        """Clean up after a previous run (before any verification of this one can start),
        then run the schedule on its own thread."""
        try:
            for name in self.service.addons.clean_scratch():
                log.warning("removed the verification cluster %s a previous run left", name)
        except OSError:
            log.exception("backup schedule: cleaning up old verification clusters failed")
        self._thread = threading.Thread(target=self._loop, name="backups", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._kick.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def kick(self) -> None:
        self._kick.set()

    def run_once(self) -> None:
        try:
            uses = self.service.addons.clusters_in_use()
        except LaunchdeckError as exc:  # an add-on error
            log.error("backup schedule: cannot list the clusters: %s", exc)
            return
        for use in uses:
            if self._stop.is_set():
                return
            try:
                self.service.tend(use)
            except (
                LaunchdeckError
            ) as exc:  # an add-on error, recorded and alerted where it could be; next pass
                log.error("backup schedule: PostgreSQL %s: %s", use.name, exc)
            except Exception:
                log.exception("backup schedule: PostgreSQL %s", use.name)

    def _loop(self) -> None:
        wait = self.first_after
        while not self._stop.is_set():
            self._kick.wait(wait)
            self._kick.clear()
            if self._stop.is_set():
                return
            self.run_once()
            wait = self.interval
