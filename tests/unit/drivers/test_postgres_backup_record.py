from __future__ import annotations

from dataclasses import replace

from launchdeck.domain.backups import (
    Backup,
    BackupStatus,
    RestoreWindow,
    compare_counts,
    show_time,
)
from launchdeck.drivers.local.postgres.backups import wal_segment

BACKUP = Backup(
    id="20261122T101500Z-ab12",
    status=BackupStatus.VERIFIED,
    started_at=1795342500.25,
    finished_at=1795342501.5,
    postgres_version="15",
    size_bytes=4096,
    wal_start_lsn="0/4000028",
    wal_end_lsn="0/4000100",
    files={"base.tar.gz": "ab" * 32},
    row_counts={"shop_production": {"public.items": 3}},
    verified_at=1795342510.0,
)


def test_a_record_survives_its_json() -> None:
    data = BACKUP.to_json()
    assert data["started_at"] == "2026-11-22T10:15:00.250000+00:00"
    assert data["status"] == "verified"
    assert Backup.from_json(data) == BACKUP


def test_where_a_backup_was_copied_survives_its_json_and_old_files_have_none() -> None:
    copied = replace(BACKUP, copied_to="s3://shop-backups/15/x/", copy_error="")
    assert Backup.from_json(copied.to_json()) == copied
    old = {k: v for k, v in BACKUP.to_json().items() if k not in ("copied_to", "copy_error")}
    assert Backup.from_json(old) == BACKUP
    assert (BACKUP.copied_to, BACKUP.copy_error) == ("", "")


def test_times_show_in_utc_and_the_window_rounds_inwards() -> None:
    assert show_time(1795342500.0) == "2026-11-22T10:15:00Z"
    assert show_time(1795342500.25) == "2026-11-22T10:15:00.250Z"
    window = RestoreWindow(1795342500.25, 1795342600.75)
    assert (window.earliest_text, window.latest_text) == (
        "2026-11-22T10:15:01Z",
        "2026-11-22T10:16:40Z",
    )
    assert window.contains(1795342500.25) and not window.contains(1795342600.8)


def test_count_differences_name_the_table() -> None:
    recorded = {"a_prod": {"public.t": 3, "public.u": 1}, "b_prod": {"public.x": 0}}
    assert (
        compare_counts(
            recorded, {"a_prod": {"public.t": 3, "public.u": 1}, "b_prod": {"public.x": 0}}
        )
        == ""
    )
    assert compare_counts(recorded, {"a_prod": {"public.t": 2}}) == (
        "the restored data does not match what was recorded at backup time: "
        "a_prod public.t has 2 rows, 3 recorded; a_prod public.u is missing; "
        "database b_prod is missing"
    )


def test_the_wal_segment_of_a_position() -> None:
    assert wal_segment("0/4000028", 1) == "000000010000000000000004"
    assert wal_segment("1/FF000000", 2) == "0000000200000001000000FF"


def test_counts_written_during_the_backup_may_land_anywhere_between_the_two_readings() -> None:
    from launchdeck.domain.backups import compare_counts

    before = {"shop": {"t": 10}}
    after = {"shop": {"t": 15, "new": 3}}

    assert compare_counts(after, {"shop": {"t": 12}}, before) == ""  # a moment in between
    assert compare_counts(after, {"shop": {"t": 12, "new": 1}}, before) == ""
    assert compare_counts(after, {"shop": {"t": 0}}, before) == (
        "the restored data does not match what was recorded at backup time: "
        "shop t has 0 rows, 10-15 recorded"
    )
    assert "shop t has 12 rows, 15 recorded" in compare_counts(after, {"shop": {"t": 12}})
