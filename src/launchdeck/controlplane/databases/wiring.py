"""The database use cases wired together: backups (with their schedule and the host's backup
target), restores and prune, and `db pull`. The control plane builds one, starts its scheduler
and stops it on shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from launchdeck.build import Builder
from launchdeck.controlplane.databases.backups import BackupService
from launchdeck.controlplane.databases.pull import Pulls
from launchdeck.controlplane.databases.restores import Restores
from launchdeck.controlplane.databases.scheduler import BackupScheduler
from launchdeck.controlplane.databases.target import BackupTargetFile
from launchdeck.controlplane.deploys.engine import Engine
from launchdeck.controlplane.notify import Notifier
from launchdeck.controlplane.ports import LocalRuntime
from launchdeck.controlplane.store import Store
from launchdeck.drivers.local.addons import AddonHost


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
        engine: Engine,
        addons: AddonHost,
        builder: Builder,
        driver: LocalRuntime,
        notifier: Notifier | None,
        workdir: Path,
        home: Path | None = None,
    ) -> Databases:
        # the backup target is $LAUNCHDECK_HOME/backup-target.json; workdir is $LAUNCHDECK_HOME/tmp
        target = BackupTargetFile(home or workdir.parent)
        backups = BackupService(store, addons, notifier, target=target)
        return cls(
            backups=backups,
            restores=Restores(store, engine, addons, backups),
            pulls=Pulls(store, engine, addons, builder, driver, workdir=workdir),
            scheduler=BackupScheduler(backups),
            target=target,
        )

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
