"""`$LAUNCHDECK_HOME/errors.db`: each environment's DSN (a project), its error groups with their
totals and status, the recent events behind the figures triage reads, and the incidents opened.

Apart from the state database (as metrics.db is): a burst of errors never waits on a deploy's
writes, nor a deploy on it. Events are kept 7 days (the groups keep their totals).
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchdeck.domain.errortracking import ErrorEvent
from launchdeck.system.sqlite import SharedDb

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, env TEXT NOT NULL,
    public_key TEXT NOT NULL, UNIQUE (app, env)
);
CREATE TABLE IF NOT EXISTS groups (
    app TEXT NOT NULL, env TEXT NOT NULL, key TEXT NOT NULL, title TEXT NOT NULL,
    culprit TEXT NOT NULL, level TEXT NOT NULL, first_seen REAL NOT NULL, last_seen REAL NOT NULL,
    count INTEGER NOT NULL, first_release TEXT, last_release TEXT,
    status TEXT NOT NULL, resolved_release TEXT, regressed INTEGER NOT NULL,
    priority TEXT NOT NULL, reason TEXT NOT NULL, paged TEXT, sample TEXT NOT NULL,
    PRIMARY KEY (app, env, key)
);
CREATE TABLE IF NOT EXISTS events (
    app TEXT NOT NULL, env TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL,
    release TEXT, user TEXT, path TEXT
);
CREATE INDEX IF NOT EXISTS events_of_group ON events (app, env, key, at);
CREATE INDEX IF NOT EXISTS events_by_time ON events (at);
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, env TEXT NOT NULL,
    key TEXT NOT NULL, title TEXT NOT NULL, priority TEXT NOT NULL, reason TEXT NOT NULL,
    release TEXT, opened_at REAL NOT NULL, resolved_at REAL
);
"""
KEEP_EVENTS = 7 * 86400.0
_VN = re.compile(r"^v(\d+)$")


class Status:
    UNRESOLVED, RESOLVED, IGNORED = "unresolved", "resolved", "ignored"


@dataclass(frozen=True)
class Project:
    id: int
    app: str
    env: str
    public_key: str


@dataclass(frozen=True)
class Group:
    app: str
    env: str
    key: str
    title: str
    culprit: str
    level: str
    first_seen: float
    last_seen: float
    count: int
    first_release: str | None
    last_release: str | None
    status: str
    resolved_release: str | None
    regressed: bool
    priority: str
    reason: str
    paged: str | None  # the priority an incident was opened at; None: none since resolved
    sample: str  # JSON: the last event's message, exception, frames, path


@dataclass(frozen=True)
class Incident:
    id: int
    app: str
    env: str
    key: str
    title: str
    priority: str
    reason: str
    release: str | None
    opened_at: float
    resolved_at: float | None


def later(release: str | None, than: str | None) -> bool:
    """Whether `release` came after `than`: by number for launchdeck's vN, else any other."""
    if release is None or than is None:
        return release != than
    a, b = _VN.match(release), _VN.match(than)
    return int(a[1]) > int(b[1]) if a and b else release != than


class ErrorStore:
    def __init__(self, path: Path) -> None:
        self._shared = SharedDb(path, SCHEMA, durable=False)
        self.tx, self._rows = self._shared.transaction, self._shared.rows
        self._lock, self._db = self._shared.lock, self._shared.db

    def close(self) -> None:
        self._shared.close()

    # -- projects (one per environment: its DSN) -------------------------------------------

    def project_for(self, app: str, env: str) -> Project:
        with self.tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO projects (app, env, public_key) VALUES (?, ?, ?)",
                (app, env, secrets.token_hex(16)),
            )
            row = db.execute(
                "SELECT id, app, env, public_key FROM projects WHERE app = ? AND env = ?",
                (app, env),
            ).fetchone()
        return Project(*row)

    def project(self, project_id: int) -> Project | None:
        rows = self._rows("SELECT id, app, env, public_key FROM projects WHERE id = ?", project_id)
        return Project(*rows[0]) if rows else None

    # -- groups and events -----------------------------------------------------------------

    def record(self, app: str, env: str, event: ErrorEvent, sample: str) -> Group:
        """Count `event` into its group (made on its first event): the group as it is now.
        A resolved group seen in a later release than it was resolved in is a regression."""
        with self.tx() as db:
            found = _group(db, app, env, event.group_key)
            if found is None:
                db.execute(
                    "INSERT INTO groups VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, NULL, 0, "
                    "'P2', '', NULL, ?)",
                    (app, env, event.group_key, event.title, event.culprit, event.level,
                     event.timestamp, event.timestamp, event.release, event.release,
                     Status.UNRESOLVED, sample),
                )  # fmt: skip
            elif found.status == Status.RESOLVED and later(event.release, found.resolved_release):
                db.execute(
                    "UPDATE groups SET status = ?, regressed = 1 WHERE app = ? AND env = ? "
                    "AND key = ?",
                    (Status.UNRESOLVED, app, env, event.group_key),
                )
            db.execute(
                "UPDATE groups SET count = count + 1, last_seen = max(last_seen, ?), "
                "last_release = coalesce(?, last_release), title = ?, sample = ? "
                "WHERE app = ? AND env = ? AND key = ?",
                (event.timestamp, event.release, event.title, sample, app, env, event.group_key),
            )
            db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                (app, env, event.group_key, event.timestamp, event.release, event.user,
                 event.path),
            )  # fmt: skip
            group = _group(db, app, env, event.group_key)
        assert group is not None
        return group

    def counts(self, app: str, env: str, key: str, since: float) -> tuple[int, tuple[str, ...]]:
        """Events of the group since `since`, and the request paths they were seen on."""
        [(count,)] = self._rows(
            "SELECT count(*) FROM events WHERE app = ? AND env = ? AND key = ? AND at >= ?",
            app, env, key, since,
        )  # fmt: skip
        paths = self._rows(
            "SELECT DISTINCT path FROM events WHERE app = ? AND env = ? AND key = ? AND at >= ? "
            "AND path IS NOT NULL LIMIT 50",
            app, env, key, since,
        )  # fmt: skip
        return int(count), tuple(str(p) for (p,) in paths)

    def set_priority(self, group: Group, priority: str, reason: str, paged: str | None) -> None:
        with self.tx() as db:
            db.execute(
                "UPDATE groups SET priority = ?, reason = ?, paged = ? WHERE app = ? AND env = ? "
                "AND key = ?",
                (priority, reason, paged, group.app, group.env, group.key),
            )

    def group(self, app: str, env: str, key: str) -> Group | None:
        with self._lock:
            return _group(self._db, app, env, key)

    def groups(self, app: str, env: str) -> list[Group]:
        rows = self._rows("SELECT * FROM groups WHERE app = ? AND env = ?", app, env)
        return [_as_group(r) for r in rows]

    def top(self, app: str, env: str, since: float) -> list[tuple[str, int, int]]:
        """(key, events, users) of every group with events since `since`, most events first."""
        rows = self._rows(
            "SELECT key, count(*) AS n, count(DISTINCT user) FROM events WHERE app = ? AND "
            "env = ? AND at >= ? GROUP BY key ORDER BY n DESC",
            app, env, since,
        )  # fmt: skip
        return [(str(k), int(n), int(u)) for k, n, u in rows]

    def set_status(self, group: Group, status: str, release: str | None) -> None:
        """Resolve (in `release`), ignore or reopen; resolving also ends its paging episode."""
        paged = None if status == Status.RESOLVED else group.paged
        with self.tx() as db:
            db.execute(
                "UPDATE groups SET status = ?, resolved_release = ?, regressed = 0, paged = ? "
                "WHERE app = ? AND env = ? AND key = ?",
                (status, release if status == Status.RESOLVED else None, paged, group.app,
                 group.env, group.key),
            )  # fmt: skip

    def prune(self, now: float) -> None:
        with self.tx() as db:
            db.execute("DELETE FROM events WHERE at < ?", (now - KEEP_EVENTS,))

    def forget_app(self, app: str) -> None:
        with self.tx() as db:
            for table in ("projects", "groups", "events", "incidents"):
                db.execute(f"DELETE FROM {table} WHERE app = ?", (app,))

    # -- incidents -------------------------------------------------------------------------

    def open_incident(self, group: Group, priority: str, reason: str, at: float) -> Incident:
        release = group.last_release if group.regressed else group.first_release
        with self.tx() as db:
            cursor = db.execute(
                "INSERT INTO incidents (app, env, key, title, priority, reason, release, "
                "opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (group.app, group.env, group.key, group.title, priority, reason, release, at),
            )
            incident_id = int(cursor.lastrowid or 0)
        return Incident(incident_id, group.app, group.env, group.key, group.title, priority,
                        reason, release, at, None)  # fmt: skip

    def incidents(self, app: str, env: str, *, everything: bool = False) -> list[Incident]:
        where = "" if everything else " AND resolved_at IS NULL"
        rows = self._rows(
            f"SELECT * FROM incidents WHERE app = ? AND env = ?{where} ORDER BY id DESC",
            app, env,
        )  # fmt: skip
        return [Incident(*r) for r in rows]

    def resolve_incident(self, app: str, env: str, incident_id: int, at: float) -> bool:
        with self.tx() as db:
            cursor = db.execute(
                "UPDATE incidents SET resolved_at = ? WHERE id = ? AND app = ? AND env = ? AND "
                "resolved_at IS NULL",
                (at, incident_id, app, env),
            )
        return cursor.rowcount == 1


def _group(db: sqlite3.Connection, app: str, env: str, key: str) -> Group | None:
    row = db.execute(
        "SELECT * FROM groups WHERE app = ? AND env = ? AND key = ?", (app, env, key)
    ).fetchone()
    return _as_group(row) if row else None


def _as_group(row: tuple[Any, ...]) -> Group:
    fields = list(row)
    fields[13] = bool(fields[13])  # regressed: SQLite keeps 0 or 1
    return Group(*fields)


def sample_of(event: ErrorEvent) -> str:
    return json.dumps(
        {
            "message": event.message,
            "exception": [event.exception_type, event.exception_value],
            "frames": list(event.frames),
            "path": event.path,
            "event_id": event.event_id,
        }
    )
