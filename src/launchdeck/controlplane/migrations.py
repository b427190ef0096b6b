"""The store's schema, as an ordered list of migrations; `PRAGMA user_version` says how many a
database has had.

Migration 1 is the schema launchdeck used before versions existed, written so that it adopts
such a database as it is (user_version 0, its tables already there: `IF NOT EXISTS` keeps every
row). A later change of schema is a new function appended to MIGRATIONS, never an edit of one
that shipped. Pending migrations run in order in one transaction with the version bump, so an
upgrade that fails leaves the database as the previous launchdeck wrote it. A database newer
than this code is refused rather than misread."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from launchdeck.controlplane.errors import Unavailable

Migration = Callable[[sqlite3.Connection], None]

# executescript() would COMMIT the migration's transaction: one statement at a time instead
SCHEMA_V1 = (
    "CREATE TABLE IF NOT EXISTS apps (name TEXT PRIMARY KEY, created_at REAL NOT NULL)",
    """CREATE TABLE IF NOT EXISTS envs (
    app TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (app, name))""",
    """CREATE TABLE IF NOT EXISTS releases (
    app TEXT NOT NULL, env TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, env, version))""",
    """CREATE TABLE IF NOT EXISTS deployments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, env TEXT NOT NULL,
    state TEXT NOT NULL, data TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events (
    deployment_id INTEGER NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL, kind TEXT NOT NULL,
    message TEXT NOT NULL, PRIMARY KEY (deployment_id, seq))""",
    """CREATE TABLE IF NOT EXISTS instances (
    app TEXT NOT NULL, env TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, env, id))""",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL, revoked_at REAL)""",
    """CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, who TEXT NOT NULL,
    role TEXT NOT NULL, action TEXT NOT NULL, status INTEGER NOT NULL)""",
)


def initial_schema(db: sqlite3.Connection) -> None:
    for statement in SCHEMA_V1:
        db.execute(statement)


def runs(db: sqlite3.Connection) -> None:
    """One-off runs and cron runs (issue 16): `state` apart so unfinished ones are found fast."""
    db.execute(
        """CREATE TABLE runs (
        id TEXT PRIMARY KEY, app TEXT NOT NULL, env TEXT NOT NULL, source TEXT NOT NULL,
        state TEXT NOT NULL, created_at REAL NOT NULL, data TEXT NOT NULL)"""
    )
    db.execute("CREATE INDEX runs_by_env ON runs (app, env, created_at)")
    db.execute("CREATE INDEX runs_by_source ON runs (app, env, source, created_at)")


MIGRATIONS: tuple[Migration, ...] = (initial_schema, runs)
LATEST = len(MIGRATIONS)


class StoreTooNew(Unavailable):
    """The database was written by a newer launchdeck: its schema is one this code cannot read."""


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    db: sqlite3.Connection, path: Path, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Apply the migrations `db` has not had yet; the caller holds a write transaction (BEGIN
    IMMEDIATE), so two processes opening one file never both migrate it. Returns the version."""
    found = schema_version(db)
    if found > len(migrations):
        raise StoreTooNew(
            f"the control plane's database {path} has schema version {found}, newer than this "
            f"launchdeck reads (up to {len(migrations)}): a newer launchdeck wrote it",
            "run the launchdeck that wrote it (pip install --upgrade launchdeck), or give this "
            "one a home of its own: LAUNCHDECK_HOME=/another/dir",
        )
    for step in migrations[found:]:
        step(db)
    if found < len(migrations):
        db.execute(f"PRAGMA user_version = {len(migrations):d}")  # no parameters in a PRAGMA
    return len(migrations)
