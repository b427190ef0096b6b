"""What the control plane needs from the local driver, as protocols: it is written against these,
and only the composition root (plane.py) names the driver's classes (drivers.local.LocalDriver,
AddonHost, Router), so the use cases run on named fakes in tests.

Errors the driver raises all derive from `launchdeck.system.LaunchdeckError`; add-on errors
carry a `domain.FailureKind`. The control plane catches the root, never a driver's subclass.
Still to do: databases/backups.py and databases/wiring.py name AddonHost, Backups and the add-on
errors (the edges pyproject.toml's import-linter contract lists as debt).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Protocol

from launchdeck.build import Artifact
from launchdeck.domain import Addons, Attachment, Instance, PostgresAddon, Release, ServiceSpec
from launchdeck.domain.databases import Prunable, Stint
from launchdeck.execution.runtime import Runtime
from launchdeck.system import Jail


class RouterProcess(Protocol):
    """The router's process (drivers.local.router.Router is one): the reconciler keeps it up."""

    def is_running(self) -> bool: ...
    def ensure_running(self) -> bool: ...


class LocalRuntime(Runtime, Protocol):
    """The host the engine, its phases and the reconciler run apps on (LocalDriver is one): the
    executor's `Runtime`, plus jails and environments for the build, test and release phases,
    the router's backends, and adopting instances a restart left."""

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
    """An environment's database now, with the server it is in and its login."""

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
