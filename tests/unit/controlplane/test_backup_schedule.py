"""When a base backup is due and which backups expire, on records and a time."""

from __future__ import annotations

from launchdeck.controlplane.databases.schedule import (
    RETRY_AFTER,
    backup_due,
    expired,
    policy_for,
    unverified,
)
from launchdeck.domain import BackupPolicy, PostgresAddon
from launchdeck.domain.backups import Backup, BackupStatus

HOUR, DAY = 3600.0, 86400.0
NOW = 1_800_000_000.0
DAILY = BackupPolicy(every=DAY, keep=7 * DAY)


def backup(name: str, age: float, status: BackupStatus = BackupStatus.VERIFIED) -> Backup:
    """A backup started `age` seconds before NOW that took a minute."""
    return Backup(name, status, NOW - age, NOW - age + 60, "15")


def test_the_first_backup_is_due_at_once() -> None:
    assert backup_due([], DAILY, NOW)


def test_a_backup_is_due_once_the_newest_is_older_than_every() -> None:
    backups = [backup("old", 3 * DAY), backup("new", DAY - 1)]
    assert not backup_due(backups, DAILY, NOW)
    assert backup_due(backups, DAILY, NOW + 1)


def test_a_taken_but_unverified_backup_counts_as_the_newest() -> None:
    assert not backup_due([backup("new", HOUR, BackupStatus.TAKEN)], DAILY, NOW)


def test_after_a_failure_the_retry_comes_sooner_than_every() -> None:
    failed = [backup("ok", 3 * DAY), backup("bad", RETRY_AFTER - 1, BackupStatus.FAILED)]
    assert not backup_due(failed, DAILY, NOW)
    assert backup_due(failed, DAILY, NOW + 1)


def test_an_attempt_that_left_no_record_is_not_retried_in_a_loop() -> None:
    assert not backup_due([], DAILY, NOW, last_attempt=NOW - 60)
    assert backup_due([], DAILY, NOW, last_attempt=NOW - RETRY_AFTER)


def test_a_short_every_retries_within_every() -> None:
    hourly = BackupPolicy(every=HOUR, keep=DAY)
    assert backup_due([backup("bad", HOUR, BackupStatus.FAILED)], hourly, NOW)


def test_the_cluster_follows_its_most_demanding_environment() -> None:
    staging = PostgresAddon("15", BackupPolicy(every=DAY, keep=3 * DAY))
    production = PostgresAddon("15", BackupPolicy(every=6 * HOUR, keep=14 * DAY))
    assert policy_for([staging, production]) == BackupPolicy(every=6 * HOUR, keep=14 * DAY)
    assert policy_for([]) == BackupPolicy() == DAILY


def test_backups_past_keep_expire_but_the_window_keeps_its_base() -> None:
    backups = [backup(f"d{n}", n * DAY) for n in range(10, 0, -1)]  # d10 (oldest) .. d1

    doomed = expired(backups, DAILY, NOW)

    # d7 finished a minute after NOW - 7d, so it is inside the window; d8 is its base
    assert doomed == ["d10", "d9"]


def test_the_newest_verified_backup_is_kept_however_old() -> None:
    backups = [
        backup("verified", 30 * DAY),
        backup("failed", 20 * DAY, BackupStatus.FAILED),
        backup("also-failed", 10 * DAY, BackupStatus.FAILED),
    ]
    assert expired(backups, DAILY, NOW) == ["failed", "also-failed"]


def test_nothing_expires_inside_keep() -> None:
    backups = [backup("a", 2 * DAY, BackupStatus.FAILED), backup("b", DAY)]
    assert expired(backups, DAILY, NOW) == []


def test_taken_backups_are_the_ones_left_to_verify() -> None:
    backups = [backup("a", DAY), backup("b", HOUR, BackupStatus.TAKEN)]
    assert [b.id for b in unverified(backups)] == ["b"]
