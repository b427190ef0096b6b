"""ResourceCollector against fake /proc and cgroup trees, with a manual clock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.clock import ManualClock
from tests.unit.drivers.metrics.fakes import FakeProc, cgroup_v2, instance, write_files

from launchdeck.domain.metrics import Sample, Series
from launchdeck.drivers.local.cgroups import Cgroups
from launchdeck.drivers.local.metrics.procfs import CLOCK_TICKS, PAGE_SIZE, ProcFS
from launchdeck.drivers.local.metrics.resources import ResourceCollector

ID = "shop-staging-web-a1b2"
SERIES = Series("shop", "staging", "web", ID, "v7")
MiB = 1024 * 1024


@pytest.fixture(params=[True, False], ids=["children", "scan"])
def fake(request: pytest.FixtureRequest, tmp_path: Path) -> FakeProc:
    return FakeProc(tmp_path / "proc", children=request.param)


def figures(samples: list[Sample]) -> dict[str, float]:
    assert {s.series for s in samples} <= {SERIES}
    return {s.name: s.value for s in samples}


def test_first_reading_has_everything_but_cpu(fake: FakeProc) -> None:
    fake.add(10, rss_pages=1000, fds=5)  # /bin/sh -c '...'
    fake.add(11, pgrp=10, parent=10, rss_pages=3000, fds=9)  # the app it runs
    clock = ManualClock()
    collector = ResourceCollector(
        proc=ProcFS(fake.root), clock=clock, host_memory=40_000 * PAGE_SIZE
    )

    samples = collector.collect([instance(10, fake.started_at())])

    assert figures(samples) == {
        "memory_bytes": 4000 * PAGE_SIZE,
        "memory_limit_bytes": 0.0,
        "memory": 0.1,  # of the host's memory, without a limit
        "open_fds": 14.0,
    }
    assert {s.at for s in samples} == {clock.now()}


def test_cpu_is_the_share_of_one_core_since_the_previous_reading(fake: FakeProc) -> None:
    hz = CLOCK_TICKS
    fake.add(10, ticks=(hz, 0, 0, 0))
    fake.add(11, pgrp=10, parent=10, ticks=(hz, hz, 0, 0))
    clock = ManualClock()
    collector = ResourceCollector(proc=ProcFS(fake.root), clock=clock)
    inst = instance(10, fake.started_at())
    collector.collect([inst])

    clock.advance(10)
    fake.set(10, pgrp=10, ticks=(hz, 0, hz, 0))  # reaped a child that used 1 s
    fake.set(11, pgrp=10, ticks=(4 * hz, 2 * hz, 0, 0))  # 4 s more

    assert figures(collector.collect([inst]))["cpu"] == pytest.approx(0.5)


def test_a_pid_now_owned_by_another_process_is_not_the_instance(fake: FakeProc) -> None:
    fake.add(10, start_ticks=99_000)  # started long after the instance did
    collector = ResourceCollector(proc=ProcFS(fake.root), clock=ManualClock())

    assert collector.collect([instance(10, fake.started_at(500))]) == []


def test_gone_and_never_started_instances_are_skipped(fake: FakeProc) -> None:
    fake.add(10)
    fake.add(20, state="Z")
    collector = ResourceCollector(proc=ProcFS(fake.root), clock=ManualClock())

    samples = collector.collect([
        instance(30, fake.started_at(), name="gone"),
        instance(None, None, name="starting"),
        instance(20, fake.started_at(), name="zombie"),
        instance(10, fake.started_at()),
    ])  # fmt: skip

    assert {s.series.instance for s in samples} == {ID}


def test_a_restarted_instance_starts_its_cpu_over(fake: FakeProc) -> None:
    fake.add(10, ticks=(500, 0, 0, 0))
    fake.add(11, ticks=(0, 0, 0, 0))
    clock = ManualClock()
    collector = ResourceCollector(proc=ProcFS(fake.root), clock=clock)
    collector.collect([instance(10, fake.started_at())])
    clock.advance(10)

    samples = collector.collect([instance(11, fake.started_at())])  # same id, new process

    assert "cpu" not in figures(samples)


def test_cpu_time_that_went_backwards_gives_no_cpu_that_pass(fake: FakeProc) -> None:
    fake.add(10, ticks=(100, 0, 0, 0))
    fake.add(11, pgrp=10, parent=10, ticks=(900, 0, 0, 0))
    clock = ManualClock()
    collector = ResourceCollector(proc=ProcFS(fake.root), clock=clock)
    inst = instance(10, fake.started_at())
    collector.collect([inst])
    clock.advance(10)
    shutil.rmtree(fake.root / "11")  # exited; reaped by init, not by 10: its time is gone
    fake.kids[10].clear()
    fake.add(10, ticks=(100, 0, 0, 0))

    assert "cpu" not in figures(collector.collect([inst]))
    clock.advance(10)
    fake.set(10, pgrp=10, ticks=(100 + CLOCK_TICKS, 0, 0, 0))
    assert figures(collector.collect([inst]))["cpu"] == pytest.approx(0.1)


def test_descriptors_of_processes_we_may_not_look_at_are_left_out(fake: FakeProc) -> None:
    fake.add(10, fds=4)
    fake.add(11, pgrp=10, parent=10, fds=0)
    shutil.rmtree(fake.root / "11" / "fd")  # as EACCES: no entries to count
    collector = ResourceCollector(proc=ProcFS(fake.root), clock=ManualClock())

    assert figures(collector.collect([instance(10, fake.started_at())]))["open_fds"] == 4


def test_no_open_fds_when_none_can_be_counted(fake: FakeProc) -> None:
    fake.add(10)
    shutil.rmtree(fake.root / "10" / "fd")
    collector = ResourceCollector(proc=ProcFS(fake.root), clock=ManualClock())

    assert "open_fds" not in figures(collector.collect([instance(10, fake.started_at())]))


# -- with a cgroup ------------------------------------------------------------------------------


def limited(tmp_path: Path, fake: FakeProc, *, procs: str = "10\n11\n") -> Cgroups:
    groups = Cgroups(cgroup_v2(tmp_path / "cgroup"))
    write_files(tmp_path / "cgroup" / "launchdeck" / ID, {
        "cgroup.procs": procs,
        "cpu.stat": "usage_usec 1000000\n",
        "cpu.max": "50000 100000\n",
        "memory.current": f"{200 * MiB}\n",
        "memory.stat": f"inactive_file {72 * MiB}\n",
        "memory.max": f"{512 * MiB}\n",
    })  # fmt: skip
    fake.add(10, rss_pages=1, fds=2)
    fake.add(11, pgrp=10, parent=10, rss_pages=1, fds=6)
    return groups


def test_an_instance_with_a_cgroup_reports_its_figures_against_its_limits(
    tmp_path: Path, fake: FakeProc
) -> None:
    groups = limited(tmp_path, fake)
    clock = ManualClock()
    collector = ResourceCollector(groups, proc=ProcFS(fake.root), clock=clock)
    inst = instance(10, fake.started_at())
    first = figures(collector.collect([inst]))
    clock.advance(10)
    (tmp_path / "cgroup" / "launchdeck" / ID / "cpu.stat").write_text("usage_usec 4000000\n")

    second = figures(collector.collect([inst]))

    assert first == {
        "memory_bytes": 128 * MiB,
        "memory_limit_bytes": 512 * MiB,
        "memory": 0.25,
        "open_fds": 8.0,
    }
    assert second["cpu"] == pytest.approx(3.0 / 10 / 0.5)


def test_a_cgroup_the_instance_never_joined_is_not_its_own(tmp_path: Path, fake: FakeProc) -> None:
    groups = limited(tmp_path, fake, procs="")  # its `echo $$ > cgroup.procs` failed
    collector = ResourceCollector(groups, proc=ProcFS(fake.root), clock=ManualClock())

    found = figures(collector.collect([instance(10, fake.started_at())]))

    assert found["memory_bytes"] == 2 * PAGE_SIZE
    assert found["memory_limit_bytes"] == 0.0


def test_figures_a_group_lacks_come_from_its_processes(tmp_path: Path, fake: FakeProc) -> None:
    for controller in ("memory", "cpu"):
        write_files(tmp_path / "cgroup" / controller, {"cgroup.procs": ""})
    groups = Cgroups(tmp_path / "cgroup")  # v1, a group for the CPU limit only
    write_files(tmp_path / "cgroup" / "cpu" / "launchdeck" / ID, {
        "cgroup.procs": "10\n",
        "cpu.cfs_quota_us": "200000\n",
        "cpu.cfs_period_us": "100000\n",
    })  # fmt: skip
    fake.add(10, rss_pages=5, ticks=(0, 0, 0, 0))
    clock = ManualClock()
    collector = ResourceCollector(groups, proc=ProcFS(fake.root), clock=clock)
    inst = instance(10, fake.started_at())
    collector.collect([inst])
    clock.advance(10)
    fake.set(10, pgrp=10, ticks=(5 * CLOCK_TICKS, 0, 0, 0), rss_pages=5)

    found = figures(collector.collect([inst]))

    assert found["memory_bytes"] == 5 * PAGE_SIZE
    assert found["cpu"] == pytest.approx(5 / 10 / 2.0)
