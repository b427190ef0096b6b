"""Restoring one environment's database into a new cluster, and pruning what restores left behind.

A restore replays a cluster's backups and WAL into a cluster of its own, then checks the copy:
it opens, the environment's database is there, its role can log in and every table can be
counted. The copies of other environments' databases the restored cluster also holds are
dropped (they are stale, and a staging restore must not carry production's rows around). Only
then is the cluster adopted; any failure stops and deletes it, so a refused or failed restore
changes nothing.

Pruning removes restored clusters no environment lives in or points at, and the databases an
environment left behind in a cluster when a restore moved it out.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from launchdeck.domain.databases import Prunable
from launchdeck.drivers.local.addon_errors import InvalidAddonInput, RestoreFailed
from launchdeck.drivers.local.postgres import sql
from launchdeck.drivers.local.postgres.backups import Backups
from launchdeck.drivers.local.postgres.client import query
from launchdeck.drivers.local.postgres.cluster import Credentials, PostgresCluster
from launchdeck.drivers.local.postgres.fleet import Fleet, RestoreRecord, is_restore, major_of
from launchdeck.drivers.local.postgres.places import Placements


@dataclass(frozen=True)
class Restored:
    name: str  # the new cluster's name, e.g. 15/restores/20261122T101500Z-1a2b
    cluster: PostgresCluster
    creds: Credentials
    record: RestoreRecord
    row_counts: dict[str, int]  # table -> rows in the environment's restored database


def restore_environment(
    fleet: Fleet,
    source: str,
    key: str,
    *,
    target: datetime | None = None,
    backup_id: str | None = None,
    timeout: float = 600.0,
) -> Restored:
    """Restore cluster `source` to `target` (or to the end of `backup_id`) into a new cluster
    holding only `key`'s database."""
    cluster = fleet.get(source)
    if cluster is None:
        raise InvalidAddonInput(f"no PostgreSQL cluster {source!r} on this host")
    backups = fleet.backups(cluster)
    base = _check_request(backups, target, backup_id)  # before anything is made
    name, root, port = fleet.new_restore(major_of(source))
    restored: PostgresCluster | None = None
    try:
        if target is not None:
            restored = backups.restore_to_time(target, root=root, port=port, timeout=timeout)
        else:
            restored = backups.restore_backup(base, root=root, port=port, timeout=timeout)
        creds, counts = _check_copy(restored, key)
        _drop_others(restored, key)
        when = None if target is None else target.timestamp()
        record = RestoreRecord(name.rsplit("/", 1)[1], source, key, base, when, fleet.now())
        fleet.adopt_restore(name, restored, record)
    except BaseException:
        if restored is not None:
            restored.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)
        raise
    return Restored(name, restored, creds, record, counts)


def _check_request(backups: Backups, target: datetime | None, backup_id: str | None) -> str:
    """The base backup the restore starts from; raises, changing nothing, on bad input."""
    if (target is None) == (backup_id is None):
        raise InvalidAddonInput("give either a time or a backup id to restore, not both")
    if backup_id is not None:
        backup = backups.get(backup_id)
        if not backup.usable:
            raise InvalidAddonInput(
                f"backup {backup_id} failed ({backup.reason})",
                "pick another one from `launchdeck db backups`",
            )
        return backup.id
    assert target is not None
    when = backups.check_target(target)
    usable = [b for b in backups.list() if b.usable and b.finished_at <= when]
    return max(usable, key=lambda b: b.finished_at).id


def _check_copy(restored: PostgresCluster, key: str) -> tuple[Credentials, dict[str, int]]:
    if key not in restored.app_databases():
        raise RestoreFailed(
            f"the restored copy has no database {key}: the environment had none at that moment",
            "pick a later time or backup",
        )
    creds = restored.ensure_database(*key.split("_", 1))
    query(restored.endpoint(creds), "SELECT 1")  # its own login opens it
    counts = restored.row_counts().get(key, {})
    return creds, counts


def _drop_others(restored: PostgresCluster, key: str) -> None:
    for database in restored.app_databases():
        if database != key and "_" in database:
            with restored.session() as session:
                sql.drop_database(session, database)
            restored.credentials.forget(database)


# -- pruning -----------------------------------------------------------------------------------


def plan_prune(
    fleet: Fleet, placements: Placements, in_use: Collection[tuple[int, str]]
) -> list[Prunable]:
    """What nothing needs any more. `in_use` holds (port, database) of every DATABASE_URL an
    environment's config or current release has: whatever one of them points at stays."""
    current = {key: p.current for key, p in placements.all().items() if p.current}
    ports = {port for port, _ in in_use}
    found: list[Prunable] = []
    for name, cluster in fleet.known().items():
        users = [key for key, where in current.items() if where == name]
        if is_restore(name) and not users and cluster.port not in ports:
            found.append(Prunable("cluster", name, _restored_for(fleet, name), cluster.port,
                                  _cluster_detail(fleet, name, cluster)))  # fmt: skip
            continue
        if not cluster.alive():
            continue  # its databases are looked at once the reconciler has it running again
        for database in cluster.app_databases():
            moved = current.get(database, name) != name
            if moved and (cluster.port, database) not in in_use:
                detail = f"left behind when {database} moved to {current[database]}"
                found.append(Prunable("database", name, database, cluster.port, detail))
    return found


def prune(fleet: Fleet, items: Collection[Prunable]) -> None:
    for item in items:
        if item.kind == "cluster":
            fleet.remove(item.cluster)
            continue
        cluster = fleet.get(item.cluster)
        if cluster is not None:
            with cluster.session() as session:
                sql.drop_database(session, item.database)
            cluster.credentials.forget(item.database)


def _restored_for(fleet: Fleet, name: str) -> str:
    record = fleet.restore_record(name)
    return record.environment if record else ""


def _cluster_detail(fleet: Fleet, name: str, cluster: PostgresCluster) -> str:
    record = fleet.restore_record(name)
    backups = len(fleet.backups(cluster).list())
    origin = f"restored from {record.source} backup {record.backup}" if record else "restored"
    return f"{origin}; no environment uses it; {backups} backup(s) go with it"
