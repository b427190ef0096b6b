"""Against fake cgroup trees in tmp_path: the files a kernel would show, as plain files."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchdeck.domain import Resources
from launchdeck.drivers.local.cgroups import Cgroups, Support

MiB = 1024 * 1024
LIMITS = Resources(cpu=0.5, memory=256 * MiB)
ID = "web.v1-abcdef"


@pytest.fixture
def v2(tmp_path: Path) -> Path:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    return tmp_path


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    for controller in ("memory", "cpu"):
        (tmp_path / controller).mkdir()
        (tmp_path / controller / "cgroup.procs").write_text("")
    return tmp_path


# -- cgroup v2 --------------------------------------------------------------------------------


def test_v2_is_detected_and_the_parent_group_made(v2: Path) -> None:
    groups = Cgroups(v2)

    assert groups.support == Support(True, "cgroup v2")
    assert groups.v2
    assert (v2 / "launchdeck").is_dir()
    assert (v2 / "cgroup.subtree_control").read_text() == "+memory +cpu"


def test_v2_writes_memory_max_and_cpu_max(v2: Path) -> None:
    groups = Cgroups(v2)

    procs = groups.prepare(ID, LIMITS)

    group = v2 / "launchdeck" / ID
    assert procs == (group / "cgroup.procs",)
    assert (group / "memory.max").read_text() == "268435456"
    assert (group / "cpu.max").read_text() == "50000 100000"


def test_v2_writes_only_the_limits_that_are_set(v2: Path) -> None:
    groups = Cgroups(v2)

    groups.prepare("web.v1-mem", Resources(memory=64 * MiB))
    groups.prepare("web.v1-cpu", Resources(cpu=1.5))

    assert sorted(p.name for p in (v2 / "launchdeck" / "web.v1-mem").iterdir()) == ["memory.max"]
    assert sorted(p.name for p in (v2 / "launchdeck" / "web.v1-cpu").iterdir()) == ["cpu.max"]
    assert (v2 / "launchdeck" / "web.v1-cpu" / "cpu.max").read_text() == "150000 100000"


def test_v2_release_removes_the_instance_group(v2: Path) -> None:
    groups = Cgroups(v2)
    groups.prepare(ID, LIMITS)

    groups.release(ID)
    groups.release(ID)  # twice is harmless

    assert not (v2 / "launchdeck" / ID).exists()
    assert (v2 / "launchdeck").is_dir()


def test_v2_not_writable_is_reported_with_the_reason(v2: Path) -> None:
    (v2 / "cgroup.subtree_control").unlink()
    (v2 / "cgroup.subtree_control").mkdir()  # writing it fails as a read-only one would

    groups = Cgroups(v2)

    assert groups.support == Support(False, "cgroup v2 not writable (Is a directory)")
    assert groups.prepare(ID, LIMITS) == ()


def test_a_custom_parent_name(v2: Path) -> None:
    groups = Cgroups(v2, name="ld-test")

    assert groups.prepare(ID, LIMITS) == (v2 / "ld-test" / ID / "cgroup.procs",)


def test_v2_enables_the_controllers_for_the_instance_groups(v2: Path) -> None:
    groups = Cgroups(v2)

    groups.prepare(ID, LIMITS)

    assert (v2 / "launchdeck" / "cgroup.subtree_control").read_text() == "+memory +cpu"


# -- cgroup v1 --------------------------------------------------------------------------------


def test_v1_is_detected_and_a_parent_made_per_controller(v1: Path) -> None:
    groups = Cgroups(v1)

    assert groups.support == Support(True, "cgroup v1")
    assert not groups.v2
    assert (v1 / "memory" / "launchdeck").is_dir()
    assert (v1 / "cpu" / "launchdeck").is_dir()


def test_v1_writes_memory_and_cfs_limits(v1: Path) -> None:
    groups = Cgroups(v1)

    procs = groups.prepare(ID, LIMITS)

    memory, cpu = v1 / "memory" / "launchdeck" / ID, v1 / "cpu" / "launchdeck" / ID
    assert procs == (memory / "cgroup.procs", cpu / "cgroup.procs")
    assert (memory / "memory.limit_in_bytes").read_text() == "268435456"
    assert (cpu / "cpu.cfs_period_us").read_text() == "100000"
    assert (cpu / "cpu.cfs_quota_us").read_text() == "50000"


def test_v1_with_only_memory_joins_only_the_memory_group(v1: Path) -> None:
    groups = Cgroups(v1)

    procs = groups.prepare(ID, Resources(memory=128 * MiB))

    assert procs == (v1 / "memory" / "launchdeck" / ID / "cgroup.procs",)
    assert not (v1 / "cpu" / "launchdeck" / ID).exists()


def test_v1_release_removes_both_groups(v1: Path) -> None:
    groups = Cgroups(v1)
    groups.prepare(ID, LIMITS)

    groups.release(ID)

    assert not (v1 / "memory" / "launchdeck" / ID).exists()
    assert not (v1 / "cpu" / "launchdeck" / ID).exists()


def test_v1_not_writable_is_reported_with_the_reason(v1: Path) -> None:
    (v1 / "cpu" / "launchdeck").write_text("")  # a file where the parent group should go

    assert Cgroups(v1).support == Support(False, "cgroup v1 not writable (File exists)")


# -- no limits ------------------------------------------------------------------------------


def test_no_limits_set_means_no_group(v2: Path) -> None:
    groups = Cgroups(v2)

    assert groups.prepare(ID, Resources()) == ()
    assert not (v2 / "launchdeck" / ID).exists()


def test_a_failed_write_means_no_limits_rather_than_an_error(v2: Path) -> None:
    groups = Cgroups(v2)
    (v2 / "launchdeck" / ID / "memory.max").mkdir(parents=True)

    assert groups.prepare(ID, LIMITS) == ()


@pytest.mark.parametrize(
    ("controllers", "detail"),
    [
        ((), "no cgroup controller for memory, cpu"),
        (("memory",), "no cgroup controller for cpu"),
        (("cpu",), "no cgroup controller for memory"),
    ],
)
def test_an_unsupported_tree_says_what_is_missing(
    tmp_path: Path, controllers: tuple[str, ...], detail: str
) -> None:
    for controller in controllers:
        (tmp_path / controller).mkdir()
        (tmp_path / controller / "cgroup.procs").write_text("")

    groups = Cgroups(tmp_path)

    assert groups.support == Support(False, detail)
    assert groups.prepare(ID, LIMITS) == ()
    groups.release(ID)  # nothing to remove, no error
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(controllers)
