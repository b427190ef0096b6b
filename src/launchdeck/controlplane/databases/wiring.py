"""The database use cases wired together: backups (with their schedule and the host's backup
target), restores and prune, and `db pull`. The control plane builds one from the add-on host and
the driver's off-host copies, starts its scheduler and stops it on shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from launchdeck.build import Builder
from launchdeck.controlplane.databases.backups import BackupService, copier_to
from launchdeck.controlplane.databases.pull import Pulls
from launchdeck.controlplane.databases.restores import Restores
from launchdeck.controlplane.databases.scheduler import BackupScheduler
from launchdeck.controlplane.databases.target import BackupTargetFile
from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.notify import Notifier
from launchdeck.controlplane.ports import DatabaseHost, LocalRuntime, OffHostCopies
from launchdeck.controlplane.store import Store


@dataclass(frozen=True)
class Databases:
    backups: BackupService
    restores: Restores
    pulls: Pulls
    scheduler: BackupScheduler
    target: BackupTargetFile

    @classmethod
    def wire(
        cls,
        *,
        store: Store,
        deployments: Deployments,
        addons: DatabaseHost,
        copies: OffHostCopies,
        builder: Builder,
        driver: LocalRuntime,
        notifier: Notifier | None,
        workdir: Path,
        home: Path | None = None,
    ) -> Databases:
        # the backup target is $LAUNCHDECK_HOME/backup-target.json; workdir is $LAUNCHDECK_HOME/tmp
        target = BackupTargetFile(home or workdir.parent)
        backups = BackupService(store, addons, notifier, copier=copier_to(copies), target=target)
        return cls(
            backups=backups,
            restores=Restores(store, deployments, addons, backups),
            pulls=Pulls(store, deployments, addons, builder, driver, workdir=workdir),
            scheduler=BackupScheduler(backups),
            target=target,
        )

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
