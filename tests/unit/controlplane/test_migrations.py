"""The store's schema version: a database the previous launchdeck wrote (no version, its tables
already there) is adopted with every record; later migrations run in order, once, all or
nothing; a database from a newer launchdeck is refused with the fix.

Backup records are not the store's (the PostgreSQL driver keeps them beside the backups), so the
old database below holds apps, environments, releases, deployments and events, instances, meta,
tokens and audit rows: every table it had."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from launchdeck.controlplane.access.secrets import Keyring
from launchdeck.controlplane.migrations import LATEST, MIGRATIONS, StoreTooNew, initial_schema
from launchdeck.controlplane.store import AuditEntry, EnvState, Store, TokenRecord
from launchdeck.domain import Deployment, DeploymentKind, DeploymentState, Event, Instance, Release
from tests.unit.controlplane.test_store import deployment, instance, release

# The schema exactly as launchdeck wrote it before versions (store.py at git HEAD~1), and no
# PRAGMA user_version: a database from that launchdeck.
PREVIOUS_SCHEMA = """
CREATE TABLE IF NOT EXISTS apps (name TEXT PRIMARY KEY, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS envs (
    app TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (app, name));
CREATE TABLE IF NOT EXISTS releases (
    app TEXT NOT NULL, env TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, env, version));
CREATE TABLE IF NOT EXISTS deployments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, env TEXT NOT NULL,
    state TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    deployment_id INTEGER NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL, kind TEXT NOT NULL,
    message TEXT NOT NULL, PRIMARY KEY (deployment_id, seq));
CREATE TABLE IF NOT EXISTS instances (
    app TEXT NOT NULL, env TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, env, id));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL, revoked_at REAL);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, who TEXT NOT NULL,
    role TEXT NOT NULL, action TEXT NOT NULL, status INTEGER NOT NULL);
"""

SECRET = "sk-live-4242"
DEPLOYMENTS = (
    Deployment(1, "shop", "production", DeploymentKind.DEPLOY, DeploymentState.SUCCEEDED, 5.0,
               None, 1, "", 6.0),
    Deployment(2, "shop", "production", DeploymentKind.CONFIG, DeploymentState.ROLLED_BACK, 7.0,
               1, 2, "web failed its health check", 8.0),
)  # fmt: skip
EVENTS = (
    Event(1, 1, 5.0, "started", "deploy of shop/production started"),
    Event(1, 2, 6.0, "succeeded", "deployment succeeded"),
    Event(2, 1, 7.0, "started", "config of shop/production started"),
)
TOKENS = (
    TokenRecord("tok_admin", "laptop", "admin", 2.0),
    TokenRecord("tok_ci", "ci", "deployer", 3.0, revoked_at=4.0),
)
AUDIT = (
    AuditEntry(1, 5.0, "laptop", "admin", "POST /v1/apps", 201),
    AuditEntry(2, 7.0, "ci", "deployer", "PUT /v1/apps/shop/envs/production/config", 202),
)


def dump(kind: Any, value: Any) -> str:
    """A row's JSON as the store writes it (the domain classes did not change)."""
    return json.dumps(TypeAdapter(kind).dump_python(value, mode="json"), sort_keys=True)


def previous_database(path: Path) -> None:
    """What the previous launchdeck left: every kind of row, a secret sealed with its key."""
    sealed = Keyring(path.parent).encrypt(SECRET)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(PREVIOUS_SCHEMA)
    db.executemany("INSERT INTO apps VALUES (?, ?)", [("shop", 1.0), ("blog", 2.0)])
    production = {"app": "shop", "name": "production", "release": 2, "formation": {"web": 3},
                  "config": {"API_KEY": sealed, "DEBUG": "0"}, "secrets": ["API_KEY"],
                  "domains": ["shop.test"]}  # fmt: skip
    envs = [
        ("shop", "production", json.dumps(production, sort_keys=True)),
        ("shop", "staging", dump(EnvState, EnvState("shop", "staging"))),
        ("blog", "staging", dump(EnvState, EnvState("blog", "staging", release=1))),
    ]
    db.executemany("INSERT INTO envs VALUES (?, ?, ?)", envs)
    for version in (1, 2):
        made = release(version, env="production")
        db.execute(
            "INSERT INTO releases VALUES (?, ?, ?, ?)",
            ("shop", "production", version, dump(Release, made)),
        )
    db.execute(
        "INSERT INTO releases VALUES (?, ?, ?, ?)",
        ("blog", "staging", 1, dump(Release, release(1, app="blog"))),
    )
    for dep in DEPLOYMENTS:
        db.execute(
            "INSERT INTO deployments (app, env, state, data) VALUES (?, ?, ?, ?)",
            (dep.app, dep.env, dep.state.value, dump(Deployment, dep)),
        )
    db.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
        [(e.deployment_id, e.seq, e.at, e.kind, e.message) for e in EVENTS],
    )
    web = instance("web.v2-abcdef", env="production")
    db.execute(
        "INSERT INTO instances VALUES (?, ?, ?, ?)",
        ("shop", "production", web.id, dump(Instance, web)),
    )
    db.executemany(
        "INSERT INTO meta VALUES (?, ?)", [("owner", "tok_admin"), ("installed", "0.1.0")]
    )
    for t in TOKENS:
        db.execute(
            "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?)",
            (t.id, t.name, t.role, f"hash-{t.id}", t.created_at, t.revoked_at),
        )
    for a in AUDIT:
        db.execute(
            "INSERT INTO audit (at, who, role, action, status) VALUES (?, ?, ?, ?, ?)",
            (a.at, a.who, a.role, a.action, a.status),
        )
    db.commit()
    db.close()


def version_of(path: Path) -> int:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def tables_of(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        rows = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    return dict(rows)


def test_a_database_from_the_previous_launchdeck_keeps_every_record(tmp_path: Path) -> None:
    path = tmp_path / "launchdeck.db"
    previous_database(path)
    tables = tables_of(path)
    assert version_of(path) == 0

    store = Store(path)
    try:
        assert version_of(path) == LATEST
        now = tables_of(path)
        assert {name: now[name] for name in tables} == tables  # adopted as is, none rebuilt
        assert set(now) - set(tables) == {"runs"}  # what later migrations add
        assert store.apps() == [("blog", 2.0), ("shop", 1.0)]
        assert store.envs() == [
            EnvState("blog", "staging", release=1),
            EnvState("shop", "production", release=2, formation={"web": 3},
                     config={"API_KEY": SECRET, "DEBUG": "0"}, secrets=frozenset({"API_KEY"}),
                     domains=("shop.test",)),
            EnvState("shop", "staging"),
        ]  # fmt: skip
        assert store.releases("shop", "production") == [
            release(2, env="production"),
            release(1, env="production"),
        ]
        assert store.release("blog", "staging", 1) == release(1, app="blog")
        assert store.deployments("shop", "production") == list(reversed(DEPLOYMENTS))
        assert store.events(1) + store.events(2) == list(EVENTS)
        assert store.instances() == [instance("web.v2-abcdef", env="production")]
        assert (store.get_meta("owner"), store.get_meta("installed")) == ("tok_admin", "0.1.0")
        assert store.tokens() == list(TOKENS)
        assert store.token_by_hash("hash-tok_admin") == TOKENS[0]
        assert store.token_by_hash("hash-tok_ci") is None  # still revoked
        assert store.audit() == list(reversed(AUDIT))
        # the counters go on from where they were
        assert store.next_release_version("shop", "production") == 3
        assert store.add_deployment(deployment(env="production")).id == 3
        store.add_audit(9.0, "laptop", "admin", "GET /v1/apps", 200)
        assert store.audit(1)[0].seq == 3
    finally:
        store.close()

    again = Store(path)  # and it opens again as it is
    assert again.apps() == [("blog", 2.0), ("shop", 1.0)]
    again.close()
    assert version_of(path) == LATEST


def test_a_new_database_starts_at_the_latest_version(tmp_path: Path) -> None:
    Store(tmp_path / "launchdeck.db").close()

    assert version_of(tmp_path / "launchdeck.db") == LATEST == len(MIGRATIONS)


def test_later_migrations_run_in_order_once(tmp_path: Path) -> None:
    path = tmp_path / "launchdeck.db"
    first = Store(path, migrations=(initial_schema,))
    first.create_app("shop", ["staging"], now=1.0)
    first.close()
    ran: list[int] = []

    def add_notes(db: sqlite3.Connection) -> None:
        ran.append(2)
        db.execute("CREATE TABLE notes (app TEXT NOT NULL, text TEXT NOT NULL)")

    def note_every_app(db: sqlite3.Connection) -> None:
        ran.append(3)
        db.execute("INSERT INTO notes SELECT name, 'adopted' FROM apps")

    history = (initial_schema, add_notes, note_every_app)
    Store(path, migrations=history).close()
    Store(path, migrations=history).close()

    assert ran == [2, 3]
    assert version_of(path) == 3
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        assert db.execute("SELECT app, text FROM notes").fetchall() == [("shop", "adopted")]


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "launchdeck.db"
    first = Store(path, migrations=(initial_schema,))
    first.create_app("shop", ["staging"], now=1.0)
    first.close()

    def add_notes(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE notes (text TEXT)")

    def broken(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM apps")
        raise RuntimeError("migration 3 failed")

    with pytest.raises(RuntimeError, match="migration 3 failed"):
        Store(path, migrations=(initial_schema, add_notes, broken))

    assert version_of(path) == 1
    assert "notes" not in tables_of(path)
    again = Store(path, migrations=(initial_schema,))
    assert again.apps() == [("shop", 1.0)]
    again.close()


def test_a_database_from_a_newer_launchdeck_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "launchdeck.db"
    first = Store(path, migrations=(initial_schema,))
    first.create_app("shop", ["staging"], now=1.0)
    first.close()
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute(f"PRAGMA user_version = {LATEST + 1}")

    with pytest.raises(StoreTooNew) as refused:
        Store(path)

    assert (refused.value.message, refused.value.fix) == (
        f"the control plane's database {path} has schema version {LATEST + 1}, newer than this "
        f"launchdeck reads (up to {LATEST}): a newer launchdeck wrote it",
        "run the launchdeck that wrote it (pip install --upgrade launchdeck), or give this one a "
        "home of its own: LAUNCHDECK_HOME=/another/dir",
    )
    assert str(refused.value) == f"{refused.value.message}; fix: {refused.value.fix}"
    assert version_of(path) == LATEST + 1  # untouched
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        assert db.execute("SELECT name FROM apps").fetchall() == [("shop",)]
