"""ProcFS and ProcessGroups against fake /proc trees in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.unit.drivers.metrics.fakes import BOOT, FakeProc, stat_line

from launchdeck.drivers.local.metrics.procfs import (
    CLOCK_TICKS,
    PAGE_SIZE,
    ProcessGroups,
    ProcFS,
    ProcStat,
    parse_stat,
)


def test_stat_fields_are_counted_after_the_command_name_which_may_hold_spaces_and_parens() -> None:
    line = stat_line(42, comm="my app) (x", state="R", pgrp=40, ticks=(10, 5, 3, 2),
                     start_ticks=900, rss_pages=250)  # fmt: skip

    stat = parse_stat(42, line)

    assert stat == ProcStat(42, "R", 40, 20, 900, 250)
    assert stat.cpu_seconds == 20 / CLOCK_TICKS
    assert stat.rss_bytes == 250 * PAGE_SIZE


def test_a_process_that_is_gone_has_no_stat_and_no_fds(tmp_path: Path) -> None:
    proc = ProcFS(FakeProc(tmp_path).root)

    assert proc.stat(4242) is None
    assert proc.open_fds(4242) is None


def test_open_fds_counts_the_fd_entries(tmp_path: Path) -> None:
    fake = FakeProc(tmp_path)
    fake.add(10, fds=7)

    assert ProcFS(tmp_path).open_fds(10) == 7


def test_create_time_is_boot_time_plus_start_ticks(tmp_path: Path) -> None:
    fake = FakeProc(tmp_path)
    fake.add(10, start_ticks=12_345)
    proc = ProcFS(tmp_path)
    stat = proc.stat(10)
    assert stat is not None

    assert proc.create_time(stat) == BOOT + 12_345 / CLOCK_TICKS


def tree(fake: FakeProc) -> None:
    """10: a shell running 11 (the app) which forked 12; 13 made a group of its own; 20 is
    another instance."""
    fake.add(10)
    fake.add(11, pgrp=10, parent=10)
    fake.add(12, pgrp=10, parent=11)
    fake.add(13, pgrp=13, parent=11)
    fake.add(20)
    fake.add(21, pgrp=20, parent=20)


def members(root: Path, leader: int) -> list[int]:
    proc = ProcFS(root)
    stat = proc.stat(leader)
    assert stat is not None
    return sorted(s.pid for s in ProcessGroups(proc).members(stat))


def test_a_group_is_the_leader_and_its_descendants_in_its_group(tmp_path: Path) -> None:
    tree(FakeProc(tmp_path, children=True))

    assert members(tmp_path, 10) == [10, 11, 12]
    assert members(tmp_path, 20) == [20, 21]


def test_without_children_files_the_group_comes_from_a_scan_of_proc(tmp_path: Path) -> None:
    tree(FakeProc(tmp_path, children=False))

    assert members(tmp_path, 10) == [10, 11, 12]
    assert members(tmp_path, 20) == [20, 21]


def test_one_scan_serves_every_group_of_a_pass(tmp_path: Path) -> None:
    fake = FakeProc(tmp_path, children=False)
    tree(fake)
    proc = ProcFS(tmp_path)
    groups = ProcessGroups(proc)
    first, second = proc.stat(10), proc.stat(20)
    assert first is not None and second is not None
    assert len(groups.members(first)) == 3

    fake.add(22, pgrp=20, parent=20)  # after the scan: seen by the next pass only

    assert len(groups.members(second)) == 2
    assert len(ProcessGroups(proc).members(second)) == 3


def test_a_member_that_exits_mid_walk_is_left_out(tmp_path: Path) -> None:
    fake = FakeProc(tmp_path, children=True)
    tree(fake)
    shutil.rmtree(tmp_path / "12")  # listed as 11's child, gone before its stat is read

    assert members(tmp_path, 10) == [10, 11]


def test_a_gone_process_has_no_children_and_does_not_mean_unsupported(tmp_path: Path) -> None:
    fake = FakeProc(tmp_path, children=True)
    fake.add(10)
    proc = ProcFS(tmp_path)

    assert proc.children(99) == []
    assert proc.children(10) == []
