"""CgroupFiles against fake cgroup trees in tmp_path, laid out as cgroups.py makes them."""

from __future__ import annotations

from pathlib import Path

from tests.unit.drivers.metrics.fakes import cgroup_v2, write_files

from launchdeck.drivers.local.cgroups import Cgroups
from launchdeck.drivers.local.metrics.cgroupfs import CgroupFiles, CgroupUsage

ID = "shop-staging-web-a1b2"
MiB = 1024 * 1024


def test_v2_reads_usage_limits_and_the_working_set(tmp_path: Path) -> None:
    groups = Cgroups(cgroup_v2(tmp_path))
    write_files(tmp_path / "launchdeck" / ID, {
        "cgroup.procs": "10\n11\n",
        "cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n",
        "cpu.max": "50000 100000\n",
        "memory.current": f"{100 * MiB}\n",
        "memory.stat": f"anon {60 * MiB}\nfile {40 * MiB}\ninactive_file {30 * MiB}\n",
        "memory.max": f"{256 * MiB}\n",
    })  # fmt: skip

    assert CgroupFiles(groups).read(ID) == CgroupUsage(
        pids=frozenset({10, 11}),
        cpu_seconds=2.5,
        cpu_cores=0.5,
        memory_bytes=70 * MiB,
        memory_limit=256 * MiB,
    )


def test_v2_max_means_no_limit(tmp_path: Path) -> None:
    groups = Cgroups(cgroup_v2(tmp_path))
    write_files(tmp_path / "launchdeck" / ID, {
        "cgroup.procs": "10\n",
        "cpu.stat": "usage_usec 0\n",
        "cpu.max": "max 100000\n",
        "memory.current": "4096\n",
        "memory.stat": "inactive_file 0\n",
        "memory.max": "max\n",
    })  # fmt: skip

    usage = CgroupFiles(groups).read(ID)

    assert usage is not None
    assert (usage.cpu_cores, usage.memory_limit) == (None, None)


def test_an_instance_without_a_group_has_no_reading(tmp_path: Path) -> None:
    groups = Cgroups(cgroup_v2(tmp_path))

    assert CgroupFiles(groups).read(ID) is None


def test_nothing_is_read_where_cgroups_are_not_usable(tmp_path: Path) -> None:
    groups = Cgroups(tmp_path)  # neither v2 nor v1 controllers here
    write_files(tmp_path / "launchdeck" / ID, {"cgroup.procs": "10\n"})

    assert not groups.support.enabled
    assert CgroupFiles(groups).read(ID) is None


def v1(root: Path) -> Cgroups:
    for controller in ("memory", "cpu"):
        write_files(root / controller, {"cgroup.procs": ""})
    return Cgroups(root)


def test_v1_reads_cpuacct_beside_cpu_and_the_memory_group(tmp_path: Path) -> None:
    groups = v1(tmp_path)
    write_files(tmp_path / "cpu" / "launchdeck" / ID, {
        "cgroup.procs": "10\n",
        "cpuacct.usage": "1500000000\n",
        "cpu.cfs_quota_us": "150000\n",
        "cpu.cfs_period_us": "100000\n",
    })  # fmt: skip
    write_files(tmp_path / "memory" / "launchdeck" / ID, {
        "cgroup.procs": "10\n12\n",
        "memory.usage_in_bytes": f"{50 * MiB}\n",
        "memory.stat": f"cache {10 * MiB}\ntotal_inactive_file {5 * MiB}\n",
        "memory.limit_in_bytes": f"{128 * MiB}\n",
    })  # fmt: skip

    assert CgroupFiles(groups).read(ID) == CgroupUsage(
        pids=frozenset({10, 12}),
        cpu_seconds=1.5,
        cpu_cores=1.5,
        memory_bytes=45 * MiB,
        memory_limit=128 * MiB,
    )


def test_v1_cpu_group_without_cpuacct_and_an_unlimited_memory_group(tmp_path: Path) -> None:
    groups = v1(tmp_path)
    write_files(tmp_path / "cpu" / "launchdeck" / ID, {
        "cgroup.procs": "10\n",
        "cpu.cfs_quota_us": "-1\n",
        "cpu.cfs_period_us": "100000\n",
    })  # fmt: skip
    write_files(tmp_path / "memory" / "launchdeck" / ID, {
        "cgroup.procs": "10\n",
        "memory.usage_in_bytes": "8192\n",
        "memory.stat": "total_inactive_file 0\n",
        "memory.limit_in_bytes": "9223372036854771712\n",
    })  # fmt: skip

    usage = CgroupFiles(groups).read(ID)

    assert usage == CgroupUsage(frozenset({10}), None, None, 8192, None)


def test_v1_memory_only(tmp_path: Path) -> None:
    groups = v1(tmp_path)
    write_files(tmp_path / "memory" / "launchdeck" / ID, {
        "cgroup.procs": "10\n",
        "memory.usage_in_bytes": "8192\n",
        "memory.limit_in_bytes": "65536\n",
    })  # fmt: skip

    assert CgroupFiles(groups).read(ID) == CgroupUsage(frozenset({10}), None, None, 8192, 65536)
