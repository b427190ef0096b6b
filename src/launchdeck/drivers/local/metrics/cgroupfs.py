"""An instance's cgroup, read back: its processes, CPU time, memory and limits, from the files
the kernel keeps for the group that cgroups.py made for it (only instances with `resources`
have one).

Memory is the working set, as `docker stats` and the kubelet count it: the group's usage less
its inactive file cache, which the kernel reclaims before it would ever reach the limit (an app
that writes files would otherwise look close to its limit all the time).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from launchdeck.drivers.local.cgroups import Cgroups

V1_UNLIMITED = 1 << 62  # v1 shows "no limit" as the largest page count in bytes (~2^63)


@dataclass(frozen=True)
class CgroupUsage:
    pids: frozenset[int]
    cpu_seconds: float | None  # None: no CPU accounting in the instance's groups
    cpu_cores: float | None  # the CPU limit; None: none
    memory_bytes: int | None  # None: no memory accounting in the instance's groups
    memory_limit: int | None  # None: none


class CgroupFiles:
    """Reads the groups `cgroups` made; `read` is None for an instance without a group."""

    def __init__(self, cgroups: Cgroups) -> None:
        self._cgroups = cgroups

    def read(self, instance_id: str) -> CgroupUsage | None:
        groups = self._cgroups
        if not groups.support.enabled:
            return None
        if groups.v2:
            return _v2(groups.root / groups.name / instance_id)
        return _v1(*(groups.root / c / groups.name / instance_id for c in ("memory", "cpu")))


def _v2(group: Path) -> CgroupUsage | None:
    procs = _pids(group)
    if procs is None:
        return None
    usage_us = _field(group / "cpu.stat", "usage_usec")
    current = _int(group / "memory.current")
    inactive = _field(group / "memory.stat", "inactive_file") or 0
    return CgroupUsage(
        pids=procs,
        cpu_seconds=usage_us / 1e6 if usage_us is not None else None,
        cpu_cores=_v2_cores(_text(group / "cpu.max")),
        memory_bytes=max(current - inactive, 0) if current is not None else None,
        memory_limit=_int(group / "memory.max"),  # "max": None
    )


def _v2_cores(cpu_max: str | None) -> float | None:
    """`cpu.max` is "<quota> <period>" in microseconds, the quota "max" without a limit."""
    quota, _, period = (cpu_max or "max").partition(" ")
    if quota == "max" or not period:
        return None
    return int(quota) / int(period)


def _v1(memory: Path, cpu: Path) -> CgroupUsage | None:
    found = [p for p in (_pids(memory), _pids(cpu)) if p is not None]
    if not found:
        return None
    usage_ns = _int(cpu / "cpuacct.usage")  # only where cpuacct is mounted with cpu
    quota, period = _int(cpu / "cpu.cfs_quota_us"), _int(cpu / "cpu.cfs_period_us")
    used = _int(memory / "memory.usage_in_bytes")
    inactive = _field(memory / "memory.stat", "total_inactive_file") or 0
    limit = _int(memory / "memory.limit_in_bytes")
    return CgroupUsage(
        pids=frozenset().union(*found),
        cpu_seconds=usage_ns / 1e9 if usage_ns is not None else None,
        cpu_cores=quota / period if quota and quota > 0 and period else None,
        memory_bytes=max(used - inactive, 0) if used is not None else None,
        memory_limit=limit if limit is not None and limit < V1_UNLIMITED else None,
    )


def _pids(group: Path) -> frozenset[int] | None:
    """None when there is no such group."""
    text = _text(group / "cgroup.procs")
    return frozenset(int(p) for p in text.split()) if text is not None else None


def _text(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _int(path: Path) -> int | None:
    text = _text(path)
    try:
        return int(text) if text is not None else None
    except ValueError:  # "max"
        return None


def _field(path: Path, key: str) -> int | None:
    """A `key value` line of a flat-keyed file (cpu.stat, memory.stat)."""
    for line in (_text(path) or "").splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return None
