"""Base backups as users see them: listed per environment, taken and verified on demand or on
the schedule (databases.scheduler), and an alert to the webhooks when one fails.

A backup belongs to a cluster, and every environment whose database lives in that cluster is
told when one fails: a Notice (`<app>/<env>: backup failed`, the reason as its detail) to the
`[notify] webhooks` of the environment's current release, as deploy failures are. This is the
built-in `backup-failed` alert: a release that turns it off is not told, and each notice goes
into the environment's alert history (`on_failed`). One lock per
cluster keeps a scheduled backup and `db backup` from running their steps interleaved.

A verified backup is copied to the host's backup target (backup_target: a control-plane setting
only an admin sets, never an app's manifest, since a cluster holds every app's data), with the
target's access key or the control plane's own AWS credentials (the driver's off-host copies,
which plane.py passes in). A failed copy is alerted the same way, and the backup stays verified:
it is still restorable.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from launchdeck.controlplane.databases.schedule import backup_due, expired, policy_for, unverified
from launchdeck.controlplane.databases.target import BackupTarget
from launchdeck.controlplane.notify import Notice, Notifier
from launchdeck.controlplane.ports import (
    BackupUploader,
    ClusterBackups,
    ClusterInUse,
    DatabaseBackups,
    OffHostCopies,
)
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain.alerts import BACKUP_FAILED
from launchdeck.domain.backups import (
    Backup,
    BackupStatus,
    CopyResult,
    RestoreWindow,
    iso,
    show_time,
)
from launchdeck.system import SYSTEM_CLOCK, Clock
from launchdeck.system.addon_errors import AddonError, BackupFailed, UnknownBackup

log = logging.getLogger("launchdeck.backups")


class TargetSource(Protocol):
    def get(self) -> BackupTarget | None: ...  # backup_target.BackupTargetFile


class NoTarget:
    """Backups stay on this host."""

    def get(self) -> BackupTarget | None:
        return None


Copier = Callable[[BackupTarget, str, Path], BackupUploader]  # target, cluster, its WAL archive


def copier_to(copies: OffHostCopies) -> Copier:
    """Copies to the admin's target, signed with the target's own access key when it has one."""

    def copier(target: BackupTarget, cluster: str, wal_archive: Path) -> BackupUploader:
        return copies(target.where, cluster=cluster, wal_archive=wal_archive,
                      credentials=target.credentials)  # fmt: skip

    return copier


class BackupService:
    def __init__(
        self,
        store: Store,
        addons: DatabaseBackups,
        notifier: Notifier | None = None,
        *,
        copier: Copier,
        clock: Clock = SYSTEM_CLOCK,
        target: TargetSource | None = None,
    ) -> None:
        self.store, self.addons, self.notifier, self.clock = store, addons, notifier, clock
        self.target: TargetSource = target or NoTarget()
        self.copier = copier
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._attempts: dict[str, float] = {}  # cluster -> when the scheduler last tried
        self.on_taken: Callable[[], None] = lambda: None  # the scheduler verifies it soon
        # (app, env, detail) of each failure told: the alert history keeps it
        self.on_failed: Callable[[str, str, str], None] = lambda app, env, detail: None

    # -- what users ask for ------------------------------------------------------------------

    def listing(self, env: EnvState) -> dict[str, Any]:
        """The backups of every cluster the environment's data lived in, oldest first, and the
        window a restore can reach (its bounds rounded inwards, so both are accepted)."""
        key = _key(env)
        history = self.addons.history(env.app, env.name)
        current = history[-1].cluster
        found: list[tuple[Backup, str]] = []
        for name in dict.fromkeys(s.cluster for s in history):
            if self.addons.cluster(name) is not None:  # else pruned, with its backups
                found += [(b, name) for b in self.addons.backups(name).list()]
        found.sort(key=lambda pair: (pair[0].started_at, pair[0].id))
        usable = [b.finished_at for b, _ in found if b.usable]
        window = RestoreWindow(min(usable), self.clock.now()) if usable else None
        return {
            "cluster": current,
            "window": None
            if window is None
            else {"earliest": window.earliest_text, "latest": window.latest_text},
            "backups": [backup_json(b, n, key, current=n == current) for b, n in found],
        }

    def take(self, env: EnvState) -> dict[str, Any]:
        """`db backup`: a base backup of the environment's cluster now, verified at once."""
        name = self.addons.database(env.app, env.name).cluster_name
        with self._locks[name]:
            backup = self._take_and_verify(name, self.addons.backups(name), also=env)
        return backup_json(backup, name, _key(env), current=True)

    def verify(self, env: EnvState, backup_id: str) -> dict[str, Any]:
        """`db verify ID`: restore a backup into a scratch cluster again and compare."""
        name, backups = self.find(env, backup_id)
        with self._locks[name]:
            backup = self._verify(name, backups, backup_id, also=env)
        current = self.addons.history(env.app, env.name)[-1].cluster
        return backup_json(backup, name, _key(env), current=name == current)

    def find(self, env: EnvState, backup_id: str) -> tuple[str, ClusterBackups]:
        """The cluster (of the environment's history) that has this backup."""
        known: list[Backup] = []
        for name in dict.fromkeys(s.cluster for s in self.addons.history(env.app, env.name)):
            if self.addons.cluster(name) is None:
                continue
            backups = self.addons.backups(name)
            found = backups.list()
            if any(b.id == backup_id for b in found):
                return name, backups
            known += found
        ids = [b.id for b in sorted(known, key=lambda b: b.started_at)]
        raise UnknownBackup(backup_id, ids)

    # -- the schedule ------------------------------------------------------------------------

    def tend(self, use: ClusterInUse) -> None:
        """One scheduler pass over one cluster: verify what was left unverified, take a backup
        when one is due, delete what is past `keep`. Skipped while `db backup` runs on it."""
        lock = self._locks[use.name]
        if not lock.acquire(blocking=False):
            return
        try:
            backups = self.addons.backups(use.name)
            policy = policy_for(use.settings)
            for backup in unverified(backups.list()):
                self._verify(use.name, backups, backup.id)
            now = self.clock.now()
            if backup_due(backups.list(), policy, now, last_attempt=self._attempts.get(use.name)):
                self._attempts[use.name] = now
                self._take_and_verify(use.name, backups)
            doomed = expired(backups.list(), policy, self.clock.now())
            if doomed:
                log.info("PostgreSQL %s: deleting expired backups %s", use.name, doomed)
                backups.remove(doomed)
        finally:
            lock.release()

    # -- taking, verifying, telling ----------------------------------------------------------

    def _take_and_verify(
        self, name: str, backups: ClusterBackups, also: EnvState | None = None
    ) -> Backup:
        try:
            taken = backups.take()
        except BackupFailed as exc:
            failed = backups.list()[-1] if backups.list() else None
            self._alert(name, failed.id if failed else "", str(exc), also)
            if failed is None or failed.status is not BackupStatus.FAILED:
                raise
            return failed
        return self._verify(name, backups, taken.id, also)

    def take_unverified(self, name: str) -> Backup | None:
        """A backup of a just-restored cluster, before any app writes to it; the scheduler
        verifies it on its next pass. A failure is logged, never raised: the restore stands."""
        with self._locks[name]:
            try:
                backup = self.addons.backups(name).take()
            except AddonError as exc:
                log.error("PostgreSQL %s: first backup after the restore failed: %s", name, exc)
                return None
        self.on_taken()
        return backup

    def _verify(
        self, name: str, backups: ClusterBackups, backup_id: str, also: EnvState | None = None
    ) -> Backup:
        checked = backups.verify(backup_id)
        if checked.status is BackupStatus.FAILED:
            self._alert(name, checked.id, checked.reason, also)
            return checked
        return self._copy(name, backups, checked, also)

    def _copy(
        self, name: str, backups: ClusterBackups, backup: Backup, also: EnvState | None
    ) -> Backup:
        """Copy a verified backup to the host's backup target (not again once it was copied
        without error); the outcome is noted in its backup.json. Only the admin's target is
        read here: what an environment's manifest or an old release says is never a target."""
        if backup.copied_to and not backup.copy_error:
            return backup
        try:
            target = self.target.get()
        except Exception as exc:  # a damaged setting: the backup stays verified
            result = CopyResult(error=f"copying backup {backup.id} failed: {exc}")
        else:
            if target is None:
                return backup
            result = self._upload(target, name, backups, backup)
        noted = backups.record_copy(backup.id, copied_to=result.copied_to,
                                    copy_error=result.error)  # fmt: skip
        if result.error:
            log.error("PostgreSQL %s: %s", name, noted.copy_error)
            self._tell(name, f"backup {backup.id} of PostgreSQL {name} was verified, but "
                             f"{noted.copy_error}", also)  # fmt: skip
        return noted

    def _upload(
        self, target: BackupTarget, name: str, backups: ClusterBackups, backup: Backup
    ) -> CopyResult:
        try:
            uploader = self.copier(target, name, backups.wal_archive)
            return uploader.upload(backups.directory(backup), backup.id)
        except Exception as exc:  # e.g. a bad AWS profile: the backup stays verified
            return CopyResult(error=f"copying backup {backup.id} to {target.where.url} "
                              f"failed: {exc}")  # fmt: skip

    def _alert(self, name: str, backup_id: str, reason: str, also: EnvState | None) -> None:
        log.error("PostgreSQL %s: backup %s failed: %s", name, backup_id or "(none)", reason)
        what = f"backup {backup_id}" if backup_id else "a base backup"
        self._tell(name, f"{what} of PostgreSQL {name} failed: {reason}", also)

    def _tell(self, name: str, detail: str, also: EnvState | None) -> None:
        """A failure notice to every environment of the cluster (and `also`)."""
        if self.notifier is None:
            return
        envs = {(a, e) for use in self.addons.clusters_in_use() if use.name == name
                for a, e in use.environments}  # fmt: skip
        if also is not None:
            envs.add((also.app, also.name))
        for app, env_name in sorted(envs):
            self._notify(app, env_name, detail)

    def _notify(self, app: str, env_name: str, detail: str) -> None:
        assert self.notifier is not None
        env = self.store.env(app, env_name)
        release = self.store.release(app, env_name, env.release) if env and env.release else None
        if env is None or release is None or BACKUP_FAILED in release.alerts_off:
            return
        urls = release.notify.urls("failed", {**release.environ(), **env.config})
        notice = Notice(app, env_name, "failed", "", detail=detail, action="backup")
        self.notifier.send(urls, notice)
        self.on_failed(app, env_name, detail)


def backup_json(backup: Backup, cluster: str, key: str, *, current: bool) -> dict[str, Any]:
    rows = backup.row_counts.get(key)
    return {
        "id": backup.id,
        "cluster": cluster,
        "current": current,  # the cluster the environment's database lives in now
        "postgres_version": backup.postgres_version,
        "status": str(backup.status),
        "reason": backup.reason,
        "time": show_time(backup.finished_at),
        "started_at": iso(backup.started_at),
        "finished_at": iso(backup.finished_at),
        "verified_at": None if backup.verified_at is None else iso(backup.verified_at),
        "size_bytes": backup.size_bytes,
        "copied_to": backup.copied_to,
        "copy_error": backup.copy_error,
        "rows": None if rows is None else sum(rows.values()),  # this environment's, then
        "tables": dict(rows or {}),
    }


def _key(env: EnvState) -> str:
    return f"{env.app}_{env.name}"
