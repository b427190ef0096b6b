"""`db restore` and `db prune`: an environment's database restored to a moment (or a backup) into
a new cluster, checked, then switched to with a new release and a rolling restart; and removing
what no environment uses any more.

Every check that can refuse runs before anything is made: the time parses and has a timezone,
it is inside the restorable window (the driver's message shows the window), the backup exists
and did not fail, exactly one of the two is given. The previous database stays where it was
until `db prune`, so a restore can be undone by pointing DATABASE_URL back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from launchdeck.controlplane.databases.backups import BackupService
from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.errors import Conflict, Invalid
from launchdeck.controlplane.ports import DatabaseRestores
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import Deployment
from launchdeck.domain.backups import show_time
from launchdeck.domain.databases import Prunable

TIME_FORMAT = "ISO 8601 with a timezone, e.g. 2026-11-22T10:15:00Z"


def parse_restore_time(text: str) -> datetime:
    """`2026-11-22T10:15:00Z` (or `+00:00`, fractions of a second, a space for the `T`)."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(
            f"--to {text!r} is not a time: use {TIME_FORMAT}",
            "e.g. launchdeck db restore --to 2026-11-22T10:15:00Z (see the window in "
            "`launchdeck db backups`)",
        ) from None


class Restores:
    def __init__(
        self,
        store: Store,
        deployments: Deployments,
        addons: DatabaseRestores,
        backups: BackupService,
    ) -> None:
        self.store, self.deployments, self.addons, self.backups = (
            store,
            deployments,
            addons,
            backups,
        )
        self._busy: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def restore(
        self, env: EnvState, *, to: str | None, backup: str | None
    ) -> tuple[dict[str, Any], Deployment | None]:
        """What was restored, and the deployment that switches DATABASE_URL to it."""
        if (to is None) == (backup is None):
            raise Invalid(
                "give either --to TIME or --backup ID" + (", not both" if to else ""),
                "e.g. launchdeck db restore --to 2026-11-22T10:15:00Z, or --backup ID from "
                "`launchdeck db backups`",
            )
        target = parse_restore_time(to) if to is not None else None
        source = self._source(env, target, backup)
        with self._only_one(env):
            restored = self.addons.restore(env.app, env.name, source=source, target=target,
                                           backup_id=backup)  # fmt: skip
            self.backups.take_unverified(restored.name)  # its own window starts before writes
            database = self.addons.move(env.app, env.name, restored.name)
            latest = self.store.env(env.app, env.name) or env
            dep = self.deployments.set_config(
                latest, {"DATABASE_URL": database.url}, [], secret=True
            )
        record = restored.record
        return {
            "cluster": restored.name,
            "source": source,
            "backup": record.backup,
            "to": None if record.target_time is None else show_time(record.target_time),
            "tables": restored.row_counts,
        }, dep

    def _source(self, env: EnvState, target: datetime | None, backup: str | None) -> str:
        """The cluster holding the environment's data at `target`, or the one with `backup`."""
        if backup is not None:
            return self.backups.find(env, backup)[0]
        assert target is not None
        history = self.addons.history(env.app, env.name)
        if target.tzinfo is None:
            return history[-1].cluster  # the driver says how to write the timezone
        when = target.timestamp()
        held = [s for s in history if s.since is None or s.since <= when]
        stint = held[-1] if held else history[0]
        if self.addons.cluster(stint.cluster) is None:
            later = next((s for s in history if s.since and s.since > when), None)
            raise Invalid(
                f"at {show_time(when)} the database of {env.app}/{env.name} lived in "
                f"PostgreSQL cluster {stint.cluster}, which was pruned with its backups",
                f"pick a time after {show_time(later.since)}"
                if later and later.since
                else "pick a later time",
            )
        return stint.cluster

    @contextmanager
    def _only_one(self, env: EnvState) -> Iterator[None]:
        key = (env.app, env.name)
        with self._lock:
            if key in self._busy:
                raise Conflict(
                    f"a restore of {env.app}/{env.name} is already running",
                    "wait for it to finish, then see: launchdeck db backups",
                )
            self._busy.add(key)
        try:
            yield
        finally:
            with self._lock:
                self._busy.discard(key)

    # -- pruning -----------------------------------------------------------------------------

    def prunable(self) -> list[dict[str, Any]]:
        return [prunable_json(p) for p in self.addons.prunable(self._in_use())]

    def prune(self) -> list[dict[str, Any]]:
        return [prunable_json(p) for p in self.addons.prune(self._in_use())]

    def _in_use(self) -> set[tuple[int, str]]:
        """(port, database) of every DATABASE_URL an environment's config or current release
        holds: what running instances use, and what the next release will."""
        found: set[tuple[int, str]] = set()
        for env in self.store.envs():
            configs = [env.config]
            if env.release is not None:
                release = self.store.release(env.app, env.name, env.release)
                configs += [release.environ()] if release else []
            for config in configs:
                parsed = _database_of(config.get("DATABASE_URL", ""))
                if parsed is not None:
                    found.add(parsed)
        return found


def _database_of(url: str) -> tuple[int, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("postgres", "postgresql") or port is None:
        return None
    return port, parts.path.lstrip("/")


def prunable_json(item: Prunable) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "cluster": item.cluster,
        "database": item.database,
        "port": item.port,
        "detail": item.detail,
    }
