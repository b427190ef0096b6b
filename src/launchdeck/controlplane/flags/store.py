"""`$LAUNCHDECK_HOME/flags.db`: every environment's flags, and its feed: the version apps long-poll
on (bumped by every change), the newest app version clients reported, and the read-only token
its instances are given.

The token is stored twice: hashed, to find the environment a request's token belongs to, and
sealed with the control plane's keyring, to hand it to the instances it starts. Versions are also
kept in memory, so a long poll checks a dict, not the database.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from launchdeck.controlplane.access.secrets import Keyring
from launchdeck.domain.flags import FlagDefinition
from launchdeck.system.sqlite import SharedDb

SCHEMA = """
CREATE TABLE IF NOT EXISTS flags (
    app TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app, env, name)
);
CREATE TABLE IF NOT EXISTS feeds (
    app TEXT NOT NULL, env TEXT NOT NULL, version INTEGER NOT NULL,
    latest_app_version TEXT, token_hash TEXT NOT NULL UNIQUE, token TEXT NOT NULL,
    PRIMARY KEY (app, env)
);
"""
TOKEN_PREFIX = "ldf_"  # a flag token, told apart from API tokens at a glance


@dataclass(frozen=True)
class Feed:
    app: str
    env: str
    version: int
    latest_app_version: str | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FlagStore:
    def __init__(self, path: Path, keyring: Keyring) -> None:
        self._keyring = keyring
        self._shared = SharedDb(path, SCHEMA)
        self._tx, self._rows = self._shared.transaction, self._shared.rows
        rows = self._rows("SELECT app, env, version FROM feeds")
        self._versions: dict[tuple[str, str], int] = {(a, e): int(v) for a, e, v in rows}

    def close(self) -> None:
        self._shared.close()

    # -- flags -----------------------------------------------------------------------------

    def flags(self, app: str, env: str) -> list[FlagDefinition]:
        rows = self._rows(
            "SELECT data FROM flags WHERE app = ? AND env = ? ORDER BY name", app, env
        )
        return [_flag(data) for (data,) in rows]

    def flag(self, app: str, env: str, name: str) -> FlagDefinition | None:
        rows = self._rows(
            "SELECT data FROM flags WHERE app = ? AND env = ? AND name = ?", app, env, name
        )
        return _flag(rows[0][0]) if rows else None

    def put(self, app: str, env: str, *flags: FlagDefinition) -> None:
        """Write these flags (new or changed) and bump the feed's version, in one transaction."""
        with self._tx() as db:
            for flag in flags:
                db.execute(
                    "INSERT OR REPLACE INTO flags VALUES (?, ?, ?, ?)",
                    (app, env, flag.name, json.dumps(asdict(flag))),
                )
            version = self._bump(db, app, env)
        self._versions[(app, env)] = version

    def delete(self, app: str, env: str, name: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM flags WHERE app = ? AND env = ? AND name = ?", (app, env, name))
            version = self._bump(db, app, env)
        self._versions[(app, env)] = version

    def forget_app(self, app: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM flags WHERE app = ?", (app,))
            db.execute("DELETE FROM feeds WHERE app = ?", (app,))
        self._versions = {k: v for k, v in self._versions.items() if k[0] != app}

    # -- the feed apps read ----------------------------------------------------------------

    def version(self, app: str, env: str) -> int:
        return self._versions.get((app, env), 0)

    def feed(self, app: str, env: str) -> Feed:
        rows = self._rows(
            "SELECT version, latest_app_version FROM feeds WHERE app = ? AND env = ?", app, env
        )
        return Feed(app, env, int(rows[0][0]), rows[0][1]) if rows else Feed(app, env, 0, None)

    def token(self, app: str, env: str) -> str:
        """The environment's flag token, made the first time it is asked for."""
        with self._tx() as db:
            self._ensure_feed(db, app, env)
            (sealed,) = db.execute(
                "SELECT token FROM feeds WHERE app = ? AND env = ?", (app, env)
            ).fetchone()
        return self._keyring.decrypt(sealed)

    def environment_of(self, token: str) -> tuple[str, str] | None:
        """The (app, env) a flag token reads; None for any other string."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        rows = self._rows("SELECT app, env FROM feeds WHERE token_hash = ?", token_hash(token))
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def report_app_version(self, app: str, env: str, version: str) -> None:
        """Record `version` as the newest clients have reported (the caller checked it is)."""
        with self._tx() as db:
            self._ensure_feed(db, app, env)
            db.execute(
                "UPDATE feeds SET latest_app_version = ? WHERE app = ? AND env = ?",
                (version, app, env),
            )
            bumped = self._bump(db, app, env)
        self._versions[(app, env)] = bumped

    def _ensure_feed(self, db: sqlite3.Connection, app: str, env: str) -> None:
        token = TOKEN_PREFIX + secrets.token_urlsafe(24)
        db.execute(
            "INSERT OR IGNORE INTO feeds VALUES (?, ?, 0, NULL, ?, ?)",
            (app, env, token_hash(token), self._keyring.encrypt(token)),
        )

    def _bump(self, db: sqlite3.Connection, app: str, env: str) -> int:
        """The feed's next version (the caller shows it once the transaction commits)."""
        self._ensure_feed(db, app, env)
        db.execute("UPDATE feeds SET version = version + 1 WHERE app = ? AND env = ?", (app, env))
        (version,) = db.execute(
            "SELECT version FROM feeds WHERE app = ? AND env = ?", (app, env)
        ).fetchone()
        return int(version)


def _flag(data: str) -> FlagDefinition:
    raw = json.loads(data)
    raw["rules"], raw["allow"] = tuple(raw["rules"]), tuple(raw["allow"])
    return FlagDefinition(**raw)
