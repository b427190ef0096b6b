"""What the control plane needs from the local driver, as protocols: it is written against these,
and only the composition root (plane.py) names the driver's classes and functions
(drivers.local.LocalDriver, AddonHost, Router, s3_copies), so the use cases run on named fakes in
tests.

Errors the driver raises all derive from `launchdeck.system.LaunchdeckError`; add-on errors
carry a `FailureKind`. The control plane catches the root; the few add-on errors it raises or
tells apart (AddonError, BackupFailed, UnknownBackup) live in system/addon_errors.py, not drivers/.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from launchdeck.build import Artifact
from launchdeck.domain import (
    Addons,
    Attachment,
    BackupCopy,
    Instance,
    PostgresAddon,
    Release,
    ServiceSpec,
)
from launchdeck.domain.backups import Backup, CopyResult, S3Credentials
from launchdeck.domain.databases import Prunable, Stint
from launchdeck.domain.metrics import RequestWindow, Sample
from launchdeck.execution.runtime import Runtime
from launchdeck.system import Jail


class RouterProcess(Protocol):
    """The router's process (drivers.local.router.Router is one): the reconciler keeps it up."""

    def is_running(self) -> bool: ...
    def ensure_running(self) -> bool: ...


class LocalRuntime(Runtime, Protocol):
    """The host the deployment use cases, their phases and the reconciler run apps on
    (LocalDriver is one): the executor's `Runtime`, plus jails and environments for the build,
    test and release phases, the router's backends, and adopting instances a restart left."""

    @property
    def router(self) -> RouterProcess: ...

    def build_jail(self, app: str) -> Jail: ...
    def env_jail(self, app: str, env: str) -> Jail: ...
    def test_env(self, artifact: Artifact, *, app: str, env: str) -> dict[str, str]: ...
    def instance_env(self, inst: Instance, release: Release) -> dict[str, str]: ...
    def adopt(self, inst: Instance) -> Instance: ...
    def ensure_backend(
        self, app: str, env: str, service: ServiceSpec, primary: bool, domains: tuple[str, ...] = ()
    ) -> None: ...
    def routed(self, app: str, env: str, service: str) -> set[str]: ...
    def weigh(self, inst: Instance, weight: int) -> None: ...
    def failing(self, app: str, env: str, service: str) -> set[str]: ...


class AddonServers(Protocol):
    """The PostgreSQL and Redis servers environments attach to (drivers.local.AddonHost is one)."""

    def attach(self, app: str, env: str, addons: Addons) -> list[Attachment]: ...
    def ensure_running(self) -> list[str]: ...


class RestoreOrigin(Protocol):
    """What a restored cluster was made from."""

    @property
    def backup(self) -> str: ...
    @property
    def target_time(self) -> float | None: ...  # None: the end of that backup


class RestoredCluster(Protocol):
    """A new cluster holding an environment's database as it was."""

    @property
    def name(self) -> str: ...
    @property
    def record(self) -> RestoreOrigin: ...
    @property
    def row_counts(self) -> dict[str, int]: ...


class PlacedDatabase(Protocol):
    """Where an environment's database lives now."""

    @property
    def url(self) -> str: ...


class DatabaseRestores(Protocol):
    """Restoring and pruning PostgreSQL clusters (drivers.local.AddonHost is one)."""

    def restore(
        self,
        app: str,
        env: str,
        *,
        source: str,
        target: datetime | None = None,
        backup_id: str | None = None,
    ) -> RestoredCluster: ...
    def move(self, app: str, env: str, name: str) -> PlacedDatabase: ...
    def history(self, app: str, env: str) -> list[Stint]: ...
    def cluster(self, name: str) -> object | None: ...  # only asked whether it still exists
    def prunable(self, in_use: Collection[tuple[int, str]]) -> list[Prunable]: ...
    def prune(self, in_use: Collection[tuple[int, str]]) -> list[Prunable]: ...


class DatabaseServer(Protocol):
    def row_counts(self) -> dict[str, dict[str, int]]: ...  # {database: {table: rows}}


class DatabaseLogin(Protocol):
    @property
    def database(self) -> str: ...


class CurrentDatabase(PlacedDatabase, Protocol):
    """An environment's database now, with the cluster it is in (its name and server) and its
    login."""

    @property
    def cluster_name(self) -> str: ...  # "15" or "15/restores/<id>"
    @property
    def cluster(self) -> DatabaseServer: ...
    @property
    def creds(self) -> DatabaseLogin: ...


class DatabaseCopyJob(Protocol):
    """A copy of one environment's database beside another's (`db pull`)."""

    @property
    def url(self) -> str: ...
    def load(self) -> None: ...
    def swap(self) -> None: ...
    def discard(self) -> None: ...


class DatabasePulls(Protocol):
    """Copying one environment's database over another's (drivers.local.AddonHost is one)."""

    def postgres_settings(self, app: str, env: str) -> PostgresAddon | None: ...
    def copy_database(
        self, source: tuple[str, str], target: tuple[str, str], *, workdir: Path
    ) -> DatabaseCopyJob: ...
    def database(self, app: str, env: str) -> CurrentDatabase: ...


class ClusterBackups(Protocol):
    """The base backups of one PostgreSQL cluster (drivers.local.postgres.backups.Backups is
    one): taken, verified by a restore into a scratch cluster, noted as copied, expired."""

    @property
    def wal_archive(self) -> Path: ...
    def list(self) -> list[Backup]: ...  # failed ones included, oldest first
    def take(self) -> Backup: ...  # raises BackupFailed when pg_basebackup fails
    def verify(self, backup_id: str) -> Backup: ...  # a failure is recorded, not raised
    def directory(self, backup: Backup) -> Path: ...
    def record_copy(self, backup_id: str, *, copied_to: str, copy_error: str) -> Backup: ...
    def remove(self, backup_ids: Collection[str]) -> builtins.list[str]: ...


class ClusterInUse(Protocol):
    """A cluster and the environments whose databases live in it now (drivers.local.addons.
    ClusterUse is one)."""

    @property
    def name(self) -> str: ...
    @property
    def environments(self) -> tuple[tuple[str, str], ...]: ...  # (app, env)
    @property
    def settings(self) -> tuple[PostgresAddon, ...]: ...  # what their last deploys asked for


class DatabaseBackups(Protocol):
    """The clusters environments use and their backups (drivers.local.AddonHost is one)."""

    def database(self, app: str, env: str) -> CurrentDatabase: ...
    def history(self, app: str, env: str) -> list[Stint]: ...
    def cluster(self, name: str) -> object | None: ...  # only asked whether it still exists
    def backups(self, name: str) -> ClusterBackups: ...
    def clusters_in_use(self) -> Sequence[ClusterInUse]: ...
    def clean_scratch(self) -> list[str]: ...  # the verification clusters a crash left


class DatabaseHost(DatabaseBackups, DatabaseRestores, DatabasePulls, Protocol):
    """All the database use cases ask of the PostgreSQL add-on host (drivers.local.AddonHost is
    one)."""


class BackupUploader(Protocol):
    """Copies of one cluster's base backups, and of its WAL archive, off this host."""

    def upload(self, backup_dir: Path, backup_id: str) -> CopyResult: ...


class OffHostCopies(Protocol):
    """Makes the uploader of one cluster's backups to a bucket, signed with `credentials` when
    given, else with the control plane's own AWS credential chain
    (drivers.local.postgres.copies.s3_copies is one)."""

    def __call__(
        self,
        target: BackupCopy,
        *,
        cluster: str,
        wal_archive: Path,
        credentials: S3Credentials | None = None,
    ) -> BackupUploader: ...


class RequestSource(Protocol):
    """The router's request counts (drivers.local.router.RequestLog is one)."""

    def take(self, *, everything: bool = False) -> list[RequestWindow]:
        """The windows that have ended (all, with `everything`), each handed over once."""
        ...

    def peek(self) -> list[RequestWindow]:
        """The windows not taken yet, as they stand."""
        ...


class QueueDepths(Protocol):
    """Messages waiting in a queue a service declares (drivers/local/redis/queues.py)."""

    def queue_depth(self, app: str, env: str, key: str) -> int | None:
        """None when the environment's queue server does not answer."""
        ...


class ResourceSource(Protocol):
    """Resource figures of instances and add-ons (drivers.local.metrics is one)."""

    def collect(self, instances: Sequence[Instance]) -> list[Sample]: ...


class OneOffProcess(Protocol):
    """An attached one-off run's process: its terminal (or pipes), read and written."""

    @property
    def pid(self) -> int: ...
    def read(self) -> bytes: ...  # b"" once it closed its output
    def write(self, data: bytes) -> None: ...
    def close_input(self) -> None: ...
    def resize(self, rows: int, cols: int) -> None: ...
    def signal(self, signum: int) -> None: ...
    def wait(self) -> int: ...
    def stop(self, timeout: float = 10.0) -> int: ...
    def close(self) -> None: ...


class OneOffs(Protocol):
    """Starting one-off runs of a release (drivers/local/oneoff.py)."""

    def start_one_off(self, run_id: str, command: str, release: Release) -> tuple[int, float, Path]:
        """Detached: (pid, its create time, its log file)."""
        ...

    def attach_one_off(
        self, run_id: str, command: str, release: Release, *, tty: bool, rows: int, cols: int
    ) -> OneOffProcess: ...
    def one_off_alive(self, pid: int, started_at: float) -> bool: ...
    def one_off_exit_code(self, pid: int, started_at: float) -> int | None: ...
    def stop_one_off(self, pid: int, started_at: float, *, timeout: float) -> None: ...
    def one_off_log(self, run_id: str, app: str, env: str) -> Path: ...
