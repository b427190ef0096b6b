"""The backup schedule's passes over a cluster, with named fakes for the add-on host, its
backups, the store and the notifier, and a clock the tests move."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from launchdeck.controlplane.databases.backups import BackupService
from launchdeck.controlplane.databases.scheduler import BackupScheduler
from launchdeck.controlplane.databases.target import BackupTarget, TargetUnreadable
from launchdeck.controlplane.notify import Notice
from launchdeck.controlplane.store import EnvState
from launchdeck.domain import (
    BackupCopy,
    BackupPolicy,
    BuildRef,
    NotifySpec,
    PostgresAddon,
    Release,
)
from launchdeck.domain.backups import Backup, BackupStatus, CopyResult, S3Credentials
from launchdeck.domain.databases import Stint
from launchdeck.drivers.local.addon_errors import AddonQueryFailed
from launchdeck.drivers.local.addons import ClusterUse
from tests.clock import ManualClock

HOUR, DAY = 3600.0, 86400.0
POLICY = PostgresAddon("15", BackupPolicy(every=DAY, keep=3 * DAY))


@dataclass
class FakeBackups:
    """Backups that take a minute; verification fails for the ids in `damaged`."""

    clock: ManualClock
    records: list[Backup] = field(default_factory=list)
    damaged: set[str] = field(default_factory=set)
    verified: list[str] = field(default_factory=list)

    def list(self) -> list[Backup]:
        return sorted(self.records, key=lambda b: b.started_at)

    def take(self) -> Backup:
        now = self.clock.now()
        backup = Backup(f"b{len(self.records)}", BackupStatus.TAKEN, now, now + 60, "15")
        self.records.append(backup)
        return backup

    def verify(self, backup_id: str) -> Backup:
        self.verified.append(backup_id)
        [old] = [b for b in self.records if b.id == backup_id]
        checked = (
            replace(old, status=BackupStatus.FAILED, reason="base.tar.gz is corrupted")
            if backup_id in self.damaged
            else replace(old, status=BackupStatus.VERIFIED)
        )
        self.records[self.records.index(old)] = checked
        return checked

    def remove(self, ids: list[str]) -> list[str]:
        self.records = [b for b in self.records if b.id not in ids]
        return ids

    wal_archive = Path("/pg/15/archive")

    def directory(self, backup: Backup) -> Path:
        return Path("/pg/15/backups") / backup.id

    def record_copy(self, backup_id: str, *, copied_to: str, copy_error: str) -> Backup:
        [old] = [b for b in self.records if b.id == backup_id]
        noted = replace(old, copied_to=copied_to, copy_error=copy_error)
        self.records[self.records.index(old)] = noted
        return noted


@dataclass
class FakeAddons:
    backups_of: dict[str, FakeBackups]
    uses: list[ClusterUse]

    def backups(self, name: str) -> FakeBackups:
        return self.backups_of[name]

    def clusters_in_use(self) -> list[ClusterUse]:
        return self.uses

    def history(self, app: str, env: str) -> list[Stint]:
        return [Stint("15")]

    def cluster(self, name: str) -> object:
        return object()

    def clean_scratch(self) -> list[str]:
        return []


class FakeStore:
    """Environments with a current release whose [notify] posts to a webhook per env."""

    def __init__(self, *envs: tuple[str, str]) -> None:
        self.envs = {e: EnvState(e[0], e[1], release=1, config={"HOOK": f"https://h/{e[1]}"})
                     for e in envs}  # fmt: skip
        self.alerts_off: dict[str, frozenset[str]] = {}  # env -> built-in alerts it turns off

    def env(self, app: str, name: str) -> EnvState | None:
        return self.envs.get((app, name))

    def release(self, app: str, env: str, version: int) -> Release:
        return Release(app, env, version, BuildRef("sha256:x", "python", 0.0), {}, {}, 0.0,
                       notify=NotifySpec(("$HOOK",)),
                       alerts_off=self.alerts_off.get(env, frozenset()))  # fmt: skip


@dataclass
class RecordingCopier:
    """Uploads nothing; says it copied each backup, or fails with `error` when it is set."""

    error: str = ""
    uploads: list[tuple[BackupTarget, str, Path, Path, str]] = field(default_factory=list)

    def __call__(self, target: BackupTarget, cluster: str, wal_archive: Path) -> RecordingCopier:
        self._target, self._cluster, self._wal = target, cluster, wal_archive
        return self

    def upload(self, backup_dir: Path, backup_id: str) -> CopyResult:
        self.uploads.append((self._target, self._cluster, self._wal, backup_dir, backup_id))
        if self.error:
            return CopyResult(error=self.error)
        return CopyResult(f"{self._target.where.url}{self._cluster}/{backup_id}/")


@dataclass
class FixedTarget:
    """The admin's setting as BackupTargetFile gives it (None: not set; an exception: damaged)."""

    target: BackupTarget | None = None
    error: Exception | None = None

    def get(self) -> BackupTarget | None:
        if self.error is not None:
            raise self.error
        return self.target


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[list[str], Notice]] = []

    def send(self, urls: list[str], notice: Notice) -> None:
        self.sent.append((urls, notice))


def service(
    *,
    envs: tuple[tuple[str, str], ...] = (("shop", "staging"),),
    settings: PostgresAddon = POLICY,
    copier: RecordingCopier | None = None,
    target: FixedTarget | None = None,
) -> Any:
    clock = ManualClock(1_800_000_000.0)
    backups = FakeBackups(clock)
    use = ClusterUse("15", object(), envs, (settings,))  # type: ignore[arg-type]
    notifier = RecordingNotifier()
    svc = BackupService(FakeStore(*envs), FakeAddons({"15": backups}, [use]), notifier, clock=clock,  # type: ignore[arg-type]
                        target=target or FixedTarget(), copier=copier or RecordingCopier())  # fmt: skip
    return svc, use, backups, notifier, clock


def test_a_pass_takes_and_verifies_a_backup_when_one_is_due_and_not_again_before_every() -> None:
    svc, use, backups, notifier, clock = service()

    svc.tend(use)
    clock.t += DAY - 1
    svc.tend(use)

    assert [(b.id, b.status) for b in backups.list()] == [("b0", BackupStatus.VERIFIED)]
    clock.t += 1
    svc.tend(use)
    assert [b.id for b in backups.list()] == ["b0", "b1"]
    assert backups.verified == ["b0", "b1"] and notifier.sent == []


def test_a_backup_that_fails_verification_alerts_every_environment_of_its_cluster() -> None:
    svc, use, backups, notifier, _ = service(envs=(("shop", "production"), ("shop", "staging")))
    backups.damaged.add("b0")

    svc.tend(use)

    assert backups.list()[0].status is BackupStatus.FAILED
    assert [urls for urls, _ in notifier.sent] == [["https://h/production"], ["https://h/staging"]]
    notice = notifier.sent[0][1]
    assert notice.payload()["text"] == ":x: shop/production: backup failed"
    assert notice.detail == "backup b0 of PostgreSQL 15 failed: base.tar.gz is corrupted"


def test_the_built_in_backup_alert_goes_into_the_history_and_can_be_turned_off() -> None:
    svc, use, backups, notifier, _ = service(envs=(("shop", "production"), ("shop", "staging")))
    svc.store.alerts_off["staging"] = frozenset({"backup-failed"})
    noted: list[tuple[str, str, str]] = []
    svc.on_failed = lambda app, env, detail: noted.append((app, env, detail))
    backups.damaged.add("b0")

    svc.tend(use)

    assert [urls for urls, _ in notifier.sent] == [["https://h/production"]]
    assert noted == [
        ("shop", "production", "backup b0 of PostgreSQL 15 failed: base.tar.gz is corrupted")
    ]


def test_a_failed_backup_is_retried_after_an_hour_not_on_every_pass() -> None:
    svc, use, backups, notifier, clock = service()
    backups.damaged.add("b0")
    svc.tend(use)
    clock.t += HOUR - 61
    svc.tend(use)
    assert len(backups.list()) == 1
    clock.t += 61
    svc.tend(use)
    assert [(b.id, b.status) for b in backups.list()][-1] == ("b1", BackupStatus.VERIFIED)
    assert len(notifier.sent) == 1  # one alert for the one failure


def test_backups_past_keep_are_deleted_but_the_base_of_the_window_stays() -> None:
    svc, use, backups, _, clock = service()
    for _ in range(5):
        svc.tend(use)
        clock.t += DAY
    svc.tend(use)

    # keep is 3 days: restoring to 3 days ago starts from b1 (it finished just before then);
    # b0 is no longer needed for any moment of the window
    assert [b.id for b in backups.list()] == ["b1", "b2", "b3", "b4", "b5"]


def test_a_backup_left_unverified_by_a_restart_is_verified_on_the_next_pass() -> None:
    svc, use, backups, _, _ = service()
    backups.take()

    svc.tend(use)

    assert backups.verified == ["b0"] and backups.list()[0].status is BackupStatus.VERIFIED
    assert len(backups.list()) == 1  # the newest backup is fresh: nothing new is due


def test_a_pass_leaves_a_cluster_alone_while_db_backup_runs_on_it() -> None:
    svc, use, backups, _, _ = service()
    with svc._locks["15"]:
        done = threading.Event()
        threading.Thread(target=lambda: (svc.tend(use), done.set())).start()
        assert done.wait(5)
    assert backups.list() == []


def test_the_scheduler_goes_on_to_the_next_cluster_when_one_fails() -> None:
    svc, use, backups, _, _ = service()
    broken = ClusterUse("16", object(), (("shop", "qa"),), ())  # type: ignore[arg-type]

    class Broken(FakeBackups):
        def list(self) -> list[Backup]:
            raise AddonQueryFailed("psql failed: connection refused")

    svc.addons.backups_of["16"] = Broken(ManualClock(1_800_000_000.0))
    svc.addons.uses[:] = [broken, use]

    BackupScheduler(svc).run_once()

    assert [b.id for b in backups.list()] == ["b0"]


ADMIN = FixedTarget(BackupTarget(BackupCopy("shop-backups", "launchdeck/")))
WITH_KEYS = BackupTarget(
    BackupCopy("shop-backups", "launchdeck/", "http://127.0.0.1:9000", "eu-west-1"),
    S3Credentials("AKIDADMIN", "admin-secret"),
)


def test_a_verified_backup_is_copied_to_the_admin_s_target_and_the_record_says_where() -> None:
    copier = RecordingCopier()
    svc, use, backups, notifier, _ = service(target=FixedTarget(WITH_KEYS), copier=copier)

    svc.tend(use)

    [backup] = backups.list()
    assert backup.status is BackupStatus.VERIFIED
    assert backup.copied_to == "s3://shop-backups/launchdeck/15/b0/" and backup.copy_error == ""
    # the target as the admin set it, with its access key: the copier signs with it
    assert copier.uploads == [(WITH_KEYS, "15", Path("/pg/15/archive"),
                               Path("/pg/15/backups/b0"), "b0")]  # fmt: skip
    assert notifier.sent == []
    [shown] = svc.listing(EnvState("shop", "staging"))["backups"]
    assert (shown["copied_to"], shown["copy_error"]) == (backup.copied_to, "")
    svc.tend(use)  # nothing due, and a copied backup is not copied again
    assert len(copier.uploads) == 1


def test_a_bucket_an_environment_names_is_never_a_target() -> None:
    # settings recorded from a release made before `backups.s3` was refused still carry it
    theirs = PostgresAddon("15", BackupPolicy(every=DAY, keep=3 * DAY,
                           s3=BackupCopy("exfil", "", "http://10.0.0.9:9000")))  # fmt: skip
    copier = RecordingCopier()
    svc, use, backups, _, _ = service(settings=theirs, copier=copier)

    svc.tend(use)

    assert copier.uploads == [] and backups.list()[0].copied_to == ""
    svc, use, backups, _, _ = service(settings=theirs, target=ADMIN, copier=copier)
    svc.tend(use)
    assert [upload[0] for upload in copier.uploads] == [ADMIN.target]


def test_a_failed_copy_alerts_but_the_backup_stays_verified() -> None:
    copier = RecordingCopier(error="copying backup b0 to s3://shop-backups/launchdeck/15/b0/ "
                             "failed: bucket shop-backups does not exist")  # fmt: skip
    svc, use, backups, notifier, _ = service(target=ADMIN, copier=copier)

    svc.tend(use)

    [backup] = backups.list()
    assert backup.status is BackupStatus.VERIFIED and backup.copied_to == ""
    assert backup.copy_error == copier.error
    [(urls, notice)] = notifier.sent
    assert urls == ["https://h/staging"]
    assert notice.payload()["text"] == ":x: shop/staging: backup failed"
    assert notice.detail == (
        "backup b0 of PostgreSQL 15 was verified, but copying backup b0 to "
        "s3://shop-backups/launchdeck/15/b0/ failed: bucket shop-backups does not exist"
    )


def test_no_copy_is_made_without_a_target_nor_of_a_failed_backup() -> None:
    copier = RecordingCopier()
    svc, use, backups, _, _ = service(copier=copier)
    svc.tend(use)
    assert copier.uploads == [] and backups.list()[0].copied_to == ""

    svc, use, backups, _, _ = service(target=ADMIN, copier=copier)
    backups.damaged.add("b0")
    svc.tend(use)
    assert copier.uploads == []


def test_a_copier_that_raises_is_a_copy_error_not_a_failed_pass() -> None:
    class Unconfigured(RecordingCopier):
        def __call__(self, target: BackupTarget, cluster: str, wal: Path) -> RecordingCopier:
            raise ValueError("The config profile (nope) could not be found")

    svc, use, backups, notifier, _ = service(target=ADMIN, copier=Unconfigured())

    svc.tend(use)

    [backup] = backups.list()
    assert backup.status is BackupStatus.VERIFIED
    assert backup.copy_error == (
        "copying backup b0 to s3://shop-backups/launchdeck/ failed: The config profile (nope) "
        "could not be found"
    )
    assert len(notifier.sent) == 1


def test_a_target_that_cannot_be_read_is_a_copy_error_with_its_fix() -> None:
    damaged = TargetUnreadable("/home/.launchdeck/backup-target.json is damaged (Expecting "
                               "value); fix: set the target again")  # fmt: skip
    copier = RecordingCopier()
    svc, use, backups, notifier, _ = service(target=FixedTarget(error=damaged), copier=copier)

    svc.tend(use)

    [backup] = backups.list()
    assert backup.status is BackupStatus.VERIFIED and copier.uploads == []
    assert backup.copy_error == (
        "copying backup b0 failed: /home/.launchdeck/backup-target.json is damaged (Expecting "
        "value); fix: set the target again"
    )
    assert len(notifier.sent) == 1
