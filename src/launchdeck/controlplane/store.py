"""SQLite store: apps, environments, releases, deployments and their events, instances.

Rows hold frozen domain objects as JSON (pydantic's TypeAdapter does the round trip), plus the
columns we query by. Writes go through one connection, one at a time; reads through another, so
a write waiting on a lock never holds them up (WAL: readers never block). A database another
process holds locked, or one that fails, raises StoreUnavailable (a 503 with a fix) after a brief
retry, never a bare sqlite3 error. Secret config values are sealed on the way in and opened on
the way out: the file holds ciphertext.

An environment's state changes only through `update_env`: read, change and write in one
transaction, so two changes (a `config set`, the rollout moving the release pointer) never
overwrite each other. The schema is versioned (migrations.py): opening a store migrates it."""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from launchdeck.controlplane.access.secrets import Keyring
from launchdeck.controlplane.errors import NotFound, Unavailable
from launchdeck.controlplane.migrations import MIGRATIONS, Migration, migrate, schema_version
from launchdeck.domain import Deployment, DeploymentState, Event, Instance, Release
from launchdeck.domain.jobs import Run

BUSY_TIMEOUT = 1.0  # seconds SQLite waits for another process's lock, per attempt
WRITE_ATTEMPTS = 3  # a write still locked after this many tries fails with StoreUnavailable
_RETRY_PAUSE = 0.05


class StoreUnavailable(Unavailable):
    """The database is locked by another process, or failing: the write did not happen."""


@contextmanager
def _unavailable_on_failure() -> Iterator[None]:
    """sqlite3 errors that come from the database (locked, I/O, disk full, a damaged file) as
    StoreUnavailable; the others are bugs in a statement and stay what they are."""
    try:
        yield
    except sqlite3.Error as exc:
        if not isinstance(exc, sqlite3.OperationalError) and type(exc) is not sqlite3.DatabaseError:
            raise
        if _locked(exc):
            raise StoreUnavailable(
                f"the control plane's database is locked by another process ({exc})",
                "retry in a few seconds; if it stays locked, find what holds "
                "$LAUNCHDECK_HOME/launchdeck.db open (e.g. an sqlite3 shell) and close it",
            ) from exc
        raise StoreUnavailable(
            f"the control plane's database failed ({exc})",
            "retry in a few seconds; if it keeps failing, check the disk and "
            "$LAUNCHDECK_HOME/server.log",
        ) from exc


def _locked(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return "database is locked" in text or "database is busy" in text


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(
        path, timeout=busy_timeout, check_same_thread=False, isolation_level=None
    )


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    role: str
    created_at: float
    revoked_at: float | None = None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: float
    who: str
    role: str
    action: str  # "POST /v1/apps/shop/envs/staging/deploys"
    status: int  # the HTTP status of the answer


@dataclass(frozen=True)
class EnvState:
    """An environment's desired state outside releases: its current release and its formation."""

    app: str
    name: str
    release: int | None = None
    formation: dict[str, int] = field(
        default_factory=dict
    )  # service -> count (`scale`, autoscaler)
    config: dict[str, str] = field(default_factory=dict)  # applied to the next release
    secrets: frozenset[str] = frozenset()  # config keys whose values are secret
    domains: tuple[str, ...] = ()  # custom domains added with `domains add`
    manual: frozenset[str] = frozenset()  # autoscaled services `scale` paused (`autoscale resume`)


_release = TypeAdapter(Release)
_deployment = TypeAdapter(Deployment)
_instance = TypeAdapter(Instance)
_env = TypeAdapter(EnvState)
_run = TypeAdapter(Run)


class Store:
    def __init__(
        self,
        path: Path,
        keyring: Keyring | None = None,
        *,
        busy_timeout: float = BUSY_TIMEOUT,
        write_attempts: int = WRITE_ATTEMPTS,
        migrations: Sequence[Migration] = MIGRATIONS,  # the schema's history; tests pass theirs
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._keyring = keyring or Keyring(path.parent)
        self._write_attempts = max(1, write_attempts)
        self._db = _connect(path, busy_timeout)  # writes, one at a time (under _lock)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()
        try:
            self._migrate(path, migrations)
        except BaseException:
            self._db.close()
            raise
        self._reader = _connect(path, busy_timeout)  # reads (under _read_lock)
        self._reader.execute("PRAGMA query_only=ON")
        self._read_lock = threading.Lock()
        # a release never changes once written: the same stored text reads back the same
        # release, so the reconciler's twice-a-second read skips the JSON and the decryption
        self._load_release = functools.lru_cache(maxsize=256)(self._read_release)
        self._deployments_changed = threading.Condition()
        self._deployment_changes = 0  # counts events added and deployments saved

    def _migrate(self, path: Path, migrations: Sequence[Migration]) -> None:
        with _unavailable_on_failure():
            current = schema_version(self._db) == len(migrations)
        if not current:  # only an upgrade (or a refusal) waits for the write lock
            with self.transaction() as db:
                migrate(db, path, migrations)

    def deployment_changes(self) -> int:
        """A counter of events added and deployments saved (in this process): read it before
        reading the store, then `wait_for_deployment_change` after it."""
        with self._deployments_changed:
            return self._deployment_changes

    def wait_for_deployment_change(self, seen: int, timeout: float) -> None:
        """Block until an event is added or a deployment saved after the count `seen` was
        read, at most `timeout` seconds: followers wake at once instead of polling, and a
        change made between their read and this wait is not missed."""
        with self._deployments_changed:
            self._deployments_changed.wait_for(lambda: self._deployment_changes != seen, timeout)

    def _deployment_changed(self) -> None:
        with self._deployments_changed:
            self._deployment_changes += 1
            self._deployments_changed.notify_all()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE, the caller's statements, COMMIT; all or nothing. Raises
        StoreUnavailable when the database stays locked or fails (nothing is written then)."""
        with self._lock, _unavailable_on_failure():
            self._retry_locked("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._retry_locked("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # none may be open: BEGIN failed
                    self._db.execute("ROLLBACK")
                raise

    def _retry_locked(self, statement: str) -> None:
        """SQLite's busy timeout waits for another process's lock; a few more tries cover the
        cases where it answers "locked" without waiting (e.g. while a WAL is recovered)."""
        for attempt in range(1, self._write_attempts + 1):
            try:
                self._db.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if not _locked(exc) or attempt == self._write_attempts:
                    raise
                time.sleep(_RETRY_PAUSE * attempt)

    def _all(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self._read_lock, _unavailable_on_failure():
            return self._reader.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._reader.close()
            self._db.close()

    # -- secret config values -----------------------------------------------------------------

    def _seal(self, config: Mapping[str, str], secret: frozenset[str]) -> dict[str, str]:
        return {k: self._keyring.encrypt(v) if k in secret else v for k, v in config.items()}

    def _open(self, config: Mapping[str, str], secret: frozenset[str]) -> dict[str, str]:
        return {k: self._keyring.decrypt(v) if k in secret else v for k, v in config.items()}

    def _dump_env(self, state: EnvState) -> str:
        return _dump(_env, replace(state, config=self._seal(state.config, state.secrets)))

    def _load_env(self, data: str) -> EnvState:
        state = _env.validate_json(data)
        return replace(state, config=self._open(state.config, state.secrets))

    def _dump_release(self, release: Release) -> str:
        sealed = self._seal(release.config, release.secrets)
        return _dump(_release, replace(release, config=sealed))

    def _read_release(self, data: str) -> Release:
        release = _release.validate_json(data)
        return replace(release, config=self._open(release.config, release.secrets))

    # -- apps and environments ----------------------------------------------------------------

    def create_app(self, name: str, envs: list[str], now: float) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO apps VALUES (?, ?)", (name, now))
            for env in envs:
                db.execute(
                    "INSERT INTO envs VALUES (?, ?, ?)",
                    (name, env, self._dump_env(EnvState(name, env))),
                )

    def apps(self) -> list[tuple[str, float]]:
        return [(r[0], r[1]) for r in self._all("SELECT name, created_at FROM apps ORDER BY name")]

    def app_exists(self, name: str) -> bool:
        return bool(self._all("SELECT 1 FROM apps WHERE name = ?", name))

    def delete_app(self, name: str) -> None:
        with self.transaction() as db:
            for table in ("envs", "releases", "instances", "runs"):
                db.execute(f"DELETE FROM {table} WHERE app = ?", (name,))
            owned = "SELECT id FROM deployments WHERE app = ?"
            db.execute(f"DELETE FROM events WHERE deployment_id IN ({owned})", (name,))
            db.execute("DELETE FROM deployments WHERE app = ?", (name,))
            db.execute("DELETE FROM apps WHERE name = ?", (name,))

    def envs(self, app: str | None = None) -> list[EnvState]:
        if app is None:
            rows = self._all("SELECT data FROM envs ORDER BY app, name")
        else:
            rows = self._all("SELECT data FROM envs WHERE app = ? ORDER BY name", app)
        return [self._load_env(r[0]) for r in rows]

    def env(self, app: str, name: str) -> EnvState | None:
        rows = self._all("SELECT data FROM envs WHERE app = ? AND name = ?", app, name)
        return self._load_env(rows[0][0]) if rows else None

    def create_env(self, state: EnvState) -> EnvState:
        """Add an environment unless it exists; the stored state either way (another request's
        creation wins, unchanged). Change one that exists with `update_env`."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO envs VALUES (?, ?, ?)",
                (state.app, state.name, self._dump_env(state)),
            )
            return self._env_in(db, state.app, state.name)

    def update_env(self, app: str, name: str, change: Callable[[EnvState], EnvState]) -> EnvState:
        """Read the environment, apply `change`, write the result: one transaction (BEGIN
        IMMEDIATE), so no other change, in this process or another, lands in between; never
        write back a copy read earlier. `change` may raise to refuse (nothing is written) and
        must not write to the store itself. Returns the state now stored; NotFound when the
        environment does not exist (any more)."""
        with self.transaction() as db:
            before = self._env_in(db, app, name)
            after = change(before)
            if (after.app, after.name) != (app, name):
                raise ValueError(f"a change of {app}/{name} may not rename it")
            if after != before:
                db.execute(
                    "UPDATE envs SET data = ? WHERE app = ? AND name = ?",
                    (self._dump_env(after), app, name),
                )
            return after

    def _env_in(self, db: sqlite3.Connection, app: str, name: str) -> EnvState:
        row = db.execute("SELECT data FROM envs WHERE app = ? AND name = ?", (app, name)).fetchone()
        if row is None:
            raise NotFound(f"environment {app}/{name} not found")
        return self._load_env(row[0])

    # -- releases ---------------------------------------------------------------------------

    def next_release_version(self, app: str, env: str) -> int:
        rows = self._all(
            "SELECT COALESCE(MAX(version), 0) FROM releases WHERE app = ? AND env = ?", app, env
        )
        return int(rows[0][0]) + 1

    def add_release(self, release: Release) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO releases VALUES (?, ?, ?, ?)",
                (release.app, release.env, release.version, self._dump_release(release)),
            )

    def release(self, app: str, env: str, version: int) -> Release | None:
        rows = self._all(
            "SELECT data FROM releases WHERE app = ? AND env = ? AND version = ?", app, env, version
        )
        return self._load_release(rows[0][0]) if rows else None

    def releases(self, app: str, env: str, limit: int = 50) -> list[Release]:
        rows = self._all(
            "SELECT data FROM releases WHERE app = ? AND env = ? ORDER BY version DESC LIMIT ?",
            app,
            env,
            limit,
        )
        return [self._load_release(r[0]) for r in rows]

    def build_digests_in_use(self, keep_per_env: int = 5) -> set[str]:
        digests: set[str] = set()
        for state in self.envs():
            for release in self.releases(state.app, state.name, keep_per_env):
                digests.add(release.build.digest)
        return digests

    # -- deployments and events ---------------------------------------------------------------

    def add_deployment(self, deployment: Deployment) -> Deployment:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO deployments (app, env, state, data) VALUES (?, ?, ?, ?)",
                (deployment.app, deployment.env, deployment.state.value, "{}"),
            )
            saved = replace(deployment, id=int(cur.lastrowid or 0))
            db.execute(
                "UPDATE deployments SET data = ? WHERE id = ?",
                (_dump(_deployment, saved), saved.id),
            )
        return saved

    def save_deployment(self, deployment: Deployment) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE deployments SET state = ?, data = ? WHERE id = ?",
                (deployment.state.value, _dump(_deployment, deployment), deployment.id),
            )
        self._deployment_changed()

    def deployment(self, deployment_id: int) -> Deployment | None:
        rows = self._all("SELECT data FROM deployments WHERE id = ?", deployment_id)
        return _deployment.validate_json(rows[0][0]) if rows else None

    def deployments(self, app: str, env: str, limit: int = 20) -> list[Deployment]:
        rows = self._all(
            "SELECT data FROM deployments WHERE app = ? AND env = ? ORDER BY id DESC LIMIT ?",
            app,
            env,
            limit,
        )
        return [_deployment.validate_json(r[0]) for r in rows]

    def unfinished_deployments(self) -> list[Deployment]:
        done = tuple(s.value for s in DeploymentState if s.finished)
        marks = ",".join("?" * len(done))
        rows = self._all(
            f"SELECT data FROM deployments WHERE state NOT IN ({marks}) ORDER BY id", *done
        )
        return [_deployment.validate_json(r[0]) for r in rows]

    def add_event(self, deployment_id: int, at: float, kind: str, message: str) -> Event:
        with self.transaction() as db:
            seq = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE deployment_id = ?",
                (deployment_id,),
            ).fetchone()[0]
            db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?)", (deployment_id, seq, at, kind, message)
            )
        self._deployment_changed()
        return Event(deployment_id, int(seq), at, kind, message)

    def events(self, deployment_id: int, after: int = 0) -> list[Event]:
        rows = self._all(
            "SELECT deployment_id, seq, at, kind, message FROM events "
            "WHERE deployment_id = ? AND seq > ? ORDER BY seq",
            deployment_id,
            after,
        )
        return [Event(*r) for r in rows]

    # -- instances --------------------------------------------------------------------------

    def save_instance(self, inst: Instance) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO instances VALUES (?, ?, ?, ?)",
                (inst.app, inst.env, inst.id, _dump(_instance, inst)),
            )

    def remove_instance(self, inst: Instance) -> None:
        with self.transaction() as db:
            db.execute(
                "DELETE FROM instances WHERE app = ? AND env = ? AND id = ?",
                (inst.app, inst.env, inst.id),
            )

    def instances(self, app: str | None = None, env: str | None = None) -> list[Instance]:
        if app is None:
            rows = self._all("SELECT data FROM instances ORDER BY app, env, id")
        else:
            rows = self._all(
                "SELECT data FROM instances WHERE app = ? AND env = ? ORDER BY id", app, env
            )
        return [_instance.validate_json(r[0]) for r in rows]

    def ports_in_use(self) -> set[int]:
        return {i.port for i in self.instances() if i.port is not None}

    # -- meta -------------------------------------------------------------------------------

    # -- tokens and audit -------------------------------------------------------------------

    def add_token(self, record: TokenRecord, token_hash: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, NULL)",
                (record.id, record.name, record.role, token_hash, record.created_at),
            )

    def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        rows = self._all(
            "SELECT id, name, role, created_at, revoked_at FROM tokens "
            "WHERE hash = ? AND revoked_at IS NULL",
            token_hash,
        )
        return TokenRecord(*rows[0]) if rows else None

    def tokens(self) -> list[TokenRecord]:
        rows = self._all(
            "SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY created_at"
        )
        return [TokenRecord(*r) for r in rows]

    def revoke_token(self, token_id: str, at: float) -> bool:
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (at, token_id),
            )
            return cur.rowcount > 0

    # -- one-off runs ------------------------------------------------------------------------

    def save_run(self, run: Run) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run.id, run.app, run.env, run.source, run.state.value, run.created_at,
                 _run.dump_json(run).decode()),
            )  # fmt: skip

    def run(self, run_id: str) -> Run | None:
        rows = self._all("SELECT data FROM runs WHERE id = ?", run_id)
        return _run.validate_json(rows[0][0]) if rows else None

    def runs(self, app: str, env: str, *, source: str | None = None, limit: int = 50) -> list[Run]:
        """The newest first."""
        rows = self._all(
            "SELECT data FROM runs WHERE app = ? AND env = ? AND (? IS NULL OR source = ?) "
            "ORDER BY created_at DESC LIMIT ?",
            app, env, source, source, limit,
        )  # fmt: skip
        return [_run.validate_json(data) for (data,) in rows]

    def unfinished_runs(self) -> list[Run]:
        rows = self._all("SELECT data FROM runs WHERE state = 'running'")
        return [_run.validate_json(data) for (data,) in rows]

    def add_audit(self, at: float, who: str, role: str, action: str, status: int) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO audit (at, who, role, action, status) VALUES (?, ?, ?, ?, ?)",
                (at, who, role, action, status),
            )

    def audit(self, limit: int = 100) -> list[AuditEntry]:
        rows = self._all(
            "SELECT seq, at, who, role, action, status FROM audit ORDER BY seq DESC LIMIT ?", limit
        )
        return [AuditEntry(*r) for r in rows]

    def get_meta(self, key: str) -> str | None:
        rows = self._all("SELECT value FROM meta WHERE key = ?", key)
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _dump(adapter: TypeAdapter[Any], value: Any) -> str:
    return json.dumps(adapter.dump_python(value, mode="json"), sort_keys=True)
