"""What launchdeck records about one base backup (its `backup.json`), and the restorable window.

The PostgreSQL driver writes these records; the control plane reads, lists and schedules them.
Pure data and formatting: times are epoch seconds in memory and ISO 8601 UTC on disk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class BackupStatus(StrEnum):
    TAKEN = "taken"  # archived, not yet restored to prove it
    VERIFIED = "verified"  # restored into a scratch cluster and its row counts matched
    FAILED = "failed"  # pg_basebackup or verification failed: `reason` says why


@dataclass(frozen=True)
class Backup:
    id: str
    status: BackupStatus
    started_at: float
    finished_at: float
    postgres_version: str
    size_bytes: int = 0
    wal_start_lsn: str = ""
    wal_end_lsn: str = ""
    timeline: int = 1
    files: Mapping[str, str] = field(default_factory=dict)  # archive name -> sha256
    row_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # as it ended
    reason: str = ""
    verified_at: float | None = None
    row_counts_before: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # began
    copied_to: str = ""  # where a copy of it is, e.g. "s3://shop-backups/launchdeck/15/<id>/"
    copy_error: str = ""  # why the last copy failed ("" when it did not)

    @property
    def usable(self) -> bool:
        return self.status is not BackupStatus.FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": str(self.status),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "postgres_version": self.postgres_version,
            "size_bytes": self.size_bytes,
            "wal_start_lsn": self.wal_start_lsn,
            "wal_end_lsn": self.wal_end_lsn,
            "timeline": self.timeline,
            "files": dict(self.files),
            "row_counts": {db: dict(tables) for db, tables in self.row_counts.items()},
            "row_counts_before": {
                db: dict(tables) for db, tables in self.row_counts_before.items()
            },
            "reason": self.reason,
            "verified_at": None if self.verified_at is None else iso(self.verified_at),
            "copied_to": self.copied_to,
            "copy_error": self.copy_error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Backup:
        verified = data.get("verified_at")
        return cls(
            id=str(data["id"]),
            status=BackupStatus(data["status"]),
            started_at=parse_iso(data["started_at"]),
            finished_at=parse_iso(data["finished_at"]),
            postgres_version=str(data["postgres_version"]),
            size_bytes=int(data.get("size_bytes", 0)),
            wal_start_lsn=str(data.get("wal_start_lsn", "")),
            wal_end_lsn=str(data.get("wal_end_lsn", "")),
            timeline=int(data.get("timeline", 1)),
            files={str(k): str(v) for k, v in data.get("files", {}).items()},
            row_counts={
                str(db): {str(t): int(n) for t, n in tables.items()}
                for db, tables in data.get("row_counts", {}).items()
            },
            reason=str(data.get("reason", "")),
            verified_at=None if verified is None else parse_iso(verified),
            row_counts_before={
                str(db): {str(t): int(n) for t, n in tables.items()}
                for db, tables in data.get("row_counts_before", {}).items()
            },
            copied_to=str(data.get("copied_to", "")),
            copy_error=str(data.get("copy_error", "")),
        )


@dataclass(frozen=True)
class RestoreWindow:
    """From the end of the oldest usable base backup until now."""

    earliest: float
    latest: float

    def contains(self, when: float) -> bool:
        return self.earliest <= when <= self.latest

    @property
    def earliest_text(self) -> str:  # rounded inwards, so a shown bound is always accepted
        return show_time(math.ceil(self.earliest))

    @property
    def latest_text(self) -> str:
        return show_time(math.floor(self.latest))


@dataclass(frozen=True)
class S3Credentials:
    """An access key of the backup target; the secret never shows in a repr or a log line."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass(frozen=True)
class CopyResult:
    copied_to: str = ""  # s3://bucket/key/ of the backup's objects, when all arrived
    error: str = ""
    files: int = 0  # backup files uploaded
    wal_files: int = 0  # WAL segments uploaded (those already in the bucket are skipped)
    size_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.error


def iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def show_time(when: float) -> str:
    """`2026-11-22T10:15:00Z`, with milliseconds only when there are some."""
    moment = datetime.fromtimestamp(when, UTC)
    spec = "seconds" if moment.microsecond == 0 else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def compare_counts(
    recorded: Mapping[str, Mapping[str, int]],
    restored: Mapping[str, Mapping[str, int]],
    before: Mapping[str, Mapping[str, int]] | None = None,
) -> str:
    """Why the restored row counts differ from the recorded ones ('' when they match).

    `recorded` is read as the backup ended, `before` as it began. A restore to the backup's
    end holds the data of a moment between the two, so with writes going on a table may hold
    any count between its two readings (and a table made meanwhile may be missing); on a
    quiet database the two agree and the check is exact. An empty or partial restore of a
    database that had rows fails either way."""
    problems: list[str] = []
    before = before or {}
    for database, tables in sorted(recorded.items()):
        found = restored.get(database)
        if found is None:
            problems.append(f"database {database} is missing")
            continue
        for table, count in sorted(tables.items()):
            got = found.get(table)
            earlier = before.get(database, {}).get(table)
            if earlier is not None:
                low, high = sorted((earlier, count))
            else:  # made while the backup ran (or no reading from before): up to its count
                low, high = (0 if before else count), count
            if got is None and (earlier is not None or not before):
                problems.append(f"{database} {table} is missing")
            elif got is not None and not low <= got <= high:
                seen = f"{count} recorded" if low == high else f"{low}-{high} recorded"
                problems.append(f"{database} {table} has {got} rows, {seen}")
    if not problems:
        return ""
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return (
        "the restored data does not match what was recorded at backup time: "
        + "; ".join(problems[:5])
        + more
    )
