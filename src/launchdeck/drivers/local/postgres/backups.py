"""Base backups of one PostgreSQL cluster, proof that they restore, and point-in-time restore.

A backup is a directory `<root>/<id>/` holding pg_basebackup's compressed tar archives and
`backup.json` (see domain/backups.py): when it was taken, its size and WAL positions, the
sha256 of each archive, and the row count of every table of every app database. Verification
restores it into a scratch cluster on a free port and compares those counts; a backup that cannot
be restored (a flipped byte, a truncated archive, an empty dump) is recorded as failed with the
reason, never raised. Point-in-time restore replays the WAL archive onto the newest base backup
taken before the target, into a new cluster, and leaves the source untouched.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
import secrets
import shutil
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from launchdeck.domain.backups import (
    Backup,
    BackupStatus,
    RestoreWindow,
    compare_counts,
    show_time,
)
from launchdeck.drivers.local.addon_errors import (
    InvalidAddonInput,
    NoBackups,
    RestoreTargetOutOfRange,
)
from launchdeck.drivers.local.postgres.client import client_env, first_error
from launchdeck.drivers.local.postgres.cluster import PostgresCluster
from launchdeck.drivers.local.postgres.config import SUPERUSER, Recovery
from launchdeck.drivers.local.postgres.recovery import Restorer, free_loopback_port
from launchdeck.system import Command, atomic_write, passable_dirs
from launchdeck.system.addon_errors import AddonError, BackupFailed, UnknownBackup

MANIFEST = "backup.json"
_START = re.compile(r"write-ahead log start point: ([0-9A-F]+/[0-9A-F]+) on timeline (\d+)")
_END = re.compile(r"write-ahead log end point: ([0-9A-F]+/[0-9A-F]+)")
_SEGMENT_BYTES = 16 * 1024 * 1024  # initdb's default WAL segment size, which we keep


class Backups:
    def __init__(
        self,
        cluster: PostgresCluster,
        root: Path,
        *,
        scratch: Path | None = None,
        gzip_level: int = 1,
    ) -> None:
        self.cluster = cluster
        self.root = root
        self.scratch = scratch or cluster.layout.root / "scratch"
        self.gzip_level = gzip_level
        self.clock = cluster.clock
        self.restorer = Restorer(cluster)

    # -- listing -----------------------------------------------------------------------------

    def list(self) -> list[Backup]:
        """Every recorded backup, failed ones included, oldest first."""
        found = []
        for path in self.root.glob(f"*/{MANIFEST}"):
            try:
                found.append(Backup.from_json(json.loads(path.read_text())))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # half-written by a crash: not a backup
        return sorted(found, key=lambda b: (b.started_at, b.id))

    def get(self, backup_id: str) -> Backup:
        for backup in self.list():
            if backup.id == backup_id:
                return backup
        raise UnknownBackup(backup_id, [b.id for b in self.list()])

    def directory(self, backup: Backup) -> Path:
        return self.root / backup.id

    @property
    def wal_archive(self) -> Path:
        return self.cluster.layout.archive

    # -- taking ------------------------------------------------------------------------------

    def take(self, *, timeout: float = 6 * 3600.0) -> Backup:
        """pg_basebackup now; the row counts are read as it begins and as it finishes."""
        try:
            before = self.cluster.row_counts()
        except AddonError:  # a server that is down: pg_basebackup says so below
            before = {}
        started = self.clock.now()
        backup_id = self._new_id(started)
        partial = self.root / f".{backup_id}.partial"
        passable_dirs(self.root)
        self.root.chmod(0o700)
        command = Command(self._basebackup_argv(partial, backup_id), env=client_env(),
                          timeout=timeout)  # fmt: skip
        result = self.cluster.runner.run(command, check=False)
        if not result.ok:
            shutil.rmtree(partial, ignore_errors=True)
            reason = f"pg_basebackup failed: {first_error(result.output)}"
            self._save(Backup(backup_id, BackupStatus.FAILED, started, self.clock.now(),
                              self.cluster.binaries.version, reason=reason))  # fmt: skip
            raise BackupFailed(
                f"no backup of {self.cluster.layout.root} was taken: {reason}",
                f"check that the cluster runs (launchdeck status) and see "
                f"{self.cluster.layout.log}",
            )
        finished = self.clock.now()
        try:
            backup = self._record(backup_id, partial, result.output, started, finished)
            backup = replace(backup, row_counts_before=before)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        partial.rename(self.directory(backup))
        self._save(backup)
        return backup

    def _record(
        self, backup_id: str, partial: Path, output: str, started: float, finished: float
    ) -> Backup:
        counts = self.cluster.row_counts()
        start = _START.search(output)
        end = _END.search(output)
        files = {p.name: sha256(p) for p in sorted(partial.iterdir()) if p.is_file()}
        return Backup(
            id=backup_id,
            status=BackupStatus.TAKEN,
            started_at=started,
            finished_at=finished,
            postgres_version=self.cluster.binaries.version,
            size_bytes=sum(p.stat().st_size for p in partial.iterdir() if p.is_file()),
            wal_start_lsn=start.group(1) if start else "",
            wal_end_lsn=end.group(1) if end else "",
            timeline=int(start.group(2)) if start else 1,
            files=files,
            row_counts=counts,
        )

    def _basebackup_argv(self, into: Path, backup_id: str) -> tuple[str, ...]:
        return (
            self.cluster.binaries.tool("pg_basebackup"),
            "-h", str(self.cluster.layout.run), "-p", str(self.cluster.port), "-U", SUPERUSER,
            "-w", "-D", str(into), "-F", "tar", f"--compress=client-gzip:{self.gzip_level}",
            "-X", "stream", "-c", "fast", "-l", f"launchdeck {backup_id}", "--verbose",
        )  # fmt: skip

    def _new_id(self, now: float) -> str:
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{stamp}-{secrets.token_hex(2)}"

    def _save(self, backup: Backup) -> None:
        text = json.dumps(backup.to_json(), indent=2, sort_keys=True) + "\n"
        atomic_write(self.directory(backup) / MANIFEST, text, mode=0o600)

    # -- verifying ---------------------------------------------------------------------------

    def verify(self, backup_id: str, *, timeout: float = 600.0) -> Backup:
        """Restore into a scratch cluster, compare row counts, discard it; record the outcome."""
        backup = self.get(backup_id)
        reason = self._check_files(backup) or self._check_restore(backup, timeout)
        status = BackupStatus.FAILED if reason else BackupStatus.VERIFIED
        checked = replace(backup, status=status, reason=reason, verified_at=self.clock.now())
        self._save(checked)
        return checked

    def _check_files(self, backup: Backup) -> str:
        if not backup.files:
            return backup.reason or "the backup holds no archive"
        for name, recorded in sorted(backup.files.items()):
            path = self.directory(backup) / name
            if not path.is_file():
                return f"{name} is missing from {self.directory(backup)}"
            found = sha256(path)
            if found != recorded:
                return (
                    f"{name} does not match the checksum recorded at backup time (sha256 "
                    f"{found[:12]}..., recorded {recorded[:12]}...): it was changed or corrupted"
                )
        return ""

    def _check_restore(self, backup: Backup, timeout: float) -> str:
        root = self.scratch / f"verify-{backup.id}"
        shutil.rmtree(root, ignore_errors=True)
        scratch: PostgresCluster | None = None
        try:
            layout = self.restorer.unpack(self.directory(backup), root)
            recovery = Recovery(self.cluster.layout.archive)  # to the end of the backup
            scratch = self.restorer.recover(layout, port=free_loopback_port(), recovery=recovery,
                                            archive=False, timeout=timeout)  # fmt: skip
            return compare_counts(backup.row_counts, scratch.row_counts(), backup.row_counts_before)
        except AddonError as exc:
            return str(exc)
        finally:
            if scratch is not None:
                scratch.stop(mode="immediate")
            shutil.rmtree(root, ignore_errors=True)

    def record_copy(self, backup_id: str, *, copied_to: str, copy_error: str) -> Backup:
        """Note where the backup was copied to (or why copying failed) in its backup.json."""
        noted = replace(self.get(backup_id), copied_to=copied_to, copy_error=copy_error)
        self._save(noted)
        return noted

    # -- restoring ---------------------------------------------------------------------------

    def window(self) -> RestoreWindow:
        usable = [b for b in self.list() if b.usable]
        if not usable:
            raise NoBackups(
                f"no usable base backup of {self.cluster.layout.root} yet, so nothing can be "
                "restored",
                "take one with `launchdeck db backup`",
            )
        return RestoreWindow(min(b.finished_at for b in usable), self.clock.now())

    def restore_to_time(
        self, target: datetime, *, root: Path, port: int, timeout: float = 600.0
    ) -> PostgresCluster:
        """A new cluster under `root` holding exactly what was committed at `target`."""
        when = self.check_target(target)
        base = max((b for b in self.list() if b.usable and b.finished_at <= when),
                   key=lambda b: b.finished_at)  # fmt: skip
        if self.cluster.alive():
            self.cluster.archive_wal()  # the archive must reach past the target
        layout = self.restorer.unpack(self.directory(base), root)
        recovery = Recovery(self.cluster.layout.archive, target_time=target.isoformat())
        return self.restorer.recover(layout, port=port, recovery=recovery, timeout=timeout)

    def check_target(self, target: datetime) -> float:
        """`target` as epoch seconds, when it is inside the restorable window; raises (changing
        nothing) when it has no timezone, or is before the oldest backup or in the future."""
        if target.tzinfo is None:
            raise InvalidAddonInput(
                f"restore time {target.isoformat()} has no timezone",
                f"give one, e.g. {target.isoformat()}Z",
            )
        when = target.timestamp()
        window = self.window()
        if not window.contains(when):
            future = when > window.latest
            why = "it is in the future" if future else "it is before the oldest backup"
            raise RestoreTargetOutOfRange(
                show_time(when), why, window.earliest_text, window.latest_text
            )
        return when

    def restore_backup(
        self, backup_id: str, *, root: Path, port: int, timeout: float = 600.0
    ) -> PostgresCluster:
        """A new cluster under `root` holding the backup as it was when it finished."""
        backup = self.get(backup_id)
        if not backup.usable:
            raise InvalidAddonInput(
                f"backup {backup_id} failed ({backup.reason})",
                "pick another one from `launchdeck db backups`",
            )
        layout = self.restorer.unpack(self.directory(backup), root)
        recovery = Recovery(self.cluster.layout.archive)
        return self.restorer.recover(layout, port=port, recovery=recovery, timeout=timeout)

    # -- retention ---------------------------------------------------------------------------

    def expire(
        self,
        *,
        keep_days: float = 7.0,
        keep_at_least: int = 1,
        protect: Collection[str] = (),
    ) -> builtins.list[str]:
        """Delete backups older than `keep_days` (never the newest `keep_at_least` usable ones,
        nor those in `protect`) and the archived WAL no remaining backup needs; returns the
        deleted ids."""
        backups = self.list()
        usable = [b for b in backups if b.usable]
        keep = {b.id for b in usable[-keep_at_least:]} if keep_at_least > 0 else set()
        keep |= set(protect)
        cutoff = self.clock.now() - keep_days * 86400
        return self.remove([b.id for b in backups if b.finished_at < cutoff and b.id not in keep])

    def remove(self, backup_ids: Collection[str]) -> builtins.list[str]:
        """Delete these backups and the archived WAL that only they needed; returns the ids
        that were there to delete."""
        backups = self.list()
        doomed = [b for b in backups if b.id in set(backup_ids)]
        for backup in doomed:
            shutil.rmtree(self.directory(backup), ignore_errors=True)
        left = [b for b in backups if b.usable and b not in doomed and b.wal_start_lsn]
        if left:
            oldest = min(left, key=lambda b: b.started_at)
            segment = wal_segment(oldest.wal_start_lsn, oldest.timeline)
            argv = (self.cluster.binaries.tool("pg_archivecleanup"),
                    str(self.cluster.layout.archive), segment)  # fmt: skip
            self.cluster.runner.run(Command(argv, timeout=300.0), check=False)
        return [b.id for b in doomed]


def wal_segment(lsn: str, timeline: int) -> str:
    """The WAL file holding `lsn` (e.g. `0/4000028` on timeline 1 -> 000000010000000000000004)."""
    high, low = (int(part, 16) for part in lsn.split("/"))
    return f"{timeline:08X}{high:08X}{low // _SEGMENT_BYTES:08X}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
