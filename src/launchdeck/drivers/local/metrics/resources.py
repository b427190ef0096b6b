"""What each instance uses: CPU, memory and its limit, open file descriptors.

From the instance's cgroup where it has one (cgroupfs.py), else from its process group's /proc
entries (procfs.py): every process of the group counts, since an app may run under a shell or
fork workers. CPU is a rate: the collector keeps each instance's previous reading (CPU seconds
at a monotonic time) and reports the share of its limit (of one core without a limit) used in
between, so an instance's first reading has no `cpu`, and neither has one whose CPU time went
backwards (a member that exited unreaped takes its time with it).

One pass reads only the instances' own files: a few per instance, plus, on kernels that do not
list a process's children, one read of /proc/<pid>/stat per process of the host.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psutil

from launchdeck.domain import Instance
from launchdeck.domain.metrics import Sample, Series
from launchdeck.drivers.local.cgroups import Cgroups
from launchdeck.drivers.local.metrics.cgroupfs import CgroupFiles, CgroupUsage
from launchdeck.drivers.local.metrics.procfs import ZOMBIE, ProcessGroups, ProcFS, ProcStat
from launchdeck.system import SYSTEM_CLOCK, Clock

SAME_START = 1.0  # seconds: a recycled pid's process started later than that (processes.py)


@dataclass(frozen=True)
class Usage:
    """One reading of one instance."""

    cpu_seconds: float  # cumulative, of every process it ran
    cpu_cores: float  # its CPU limit; 1.0 without one
    memory_bytes: int
    memory_limit: int  # 0: none
    open_fds: int | None  # None: no process of it let us look
    cpu_from_cgroup: bool  # whether cpu_seconds is the cgroup's count


@dataclass(frozen=True)
class _Previous:
    pid: int
    cpu_from_cgroup: bool
    cpu_seconds: float
    at: float  # monotonic


class ResourceCollector:
    """`cgroups`: the driver's (None: read processes only). Keeps one previous reading per
    instance; call `collect` from one thread."""

    def __init__(
        self,
        cgroups: Cgroups | None = None,
        *,
        proc: ProcFS | None = None,
        clock: Clock = SYSTEM_CLOCK,
        host_memory: int | None = None,
    ) -> None:
        """`host_memory`: bytes `memory` is a share of without a limit (default: this host's,
        as `docker stats` does)."""
        self._host_memory = host_memory or psutil.virtual_memory().total
        self._cgroups = CgroupFiles(cgroups) if cgroups is not None else None
        self._proc = proc or ProcFS()
        self._clock = clock
        self._previous: dict[str, _Previous] = {}

    def collect(self, instances: Iterable[Instance]) -> list[Sample]:
        """The figures of every instance that still runs; the others are skipped."""
        at = self._clock.now()
        groups = ProcessGroups(self._proc)
        samples: list[Sample] = []
        previous, self._previous = self._previous, {}
        for inst in instances:
            usage = self.read(inst, groups)
            if usage is None or inst.pid is None:
                continue
            now = self._clock.monotonic()
            cpu = _cpu(previous.get(inst.id), inst.pid, usage, now)
            self._previous[inst.id] = _Previous(
                inst.pid, usage.cpu_from_cgroup, usage.cpu_seconds, now
            )
            samples.extend(_samples(inst, usage, cpu, at, self._host_memory))
        return samples

    def read(self, inst: Instance, groups: ProcessGroups | None = None) -> Usage | None:
        """None when the instance no longer runs (or its pid now belongs to another process)."""
        leader = self._leader(inst)
        if leader is None:
            return None
        cgroup = self._cgroups.read(inst.id) if self._cgroups is not None else None
        if cgroup is not None and leader.pid not in cgroup.pids:
            cgroup = None  # it never joined (the write is allowed to fail): not its figures
        if cgroup is None:
            members = (groups or ProcessGroups(self._proc)).members(leader)
            return self._from_processes(members)
        return self._from_cgroup(cgroup)

    def _leader(self, inst: Instance) -> ProcStat | None:
        if inst.pid is None or inst.started_at is None:
            return None
        stat = self._proc.stat(inst.pid)
        if stat is None or stat.state == ZOMBIE:
            return None
        try:
            started = self._proc.create_time(stat)
        except OSError:
            return None
        return stat if abs(started - inst.started_at) <= SAME_START else None

    def _from_processes(self, members: list[ProcStat]) -> Usage:
        return Usage(
            cpu_seconds=sum(m.cpu_seconds for m in members),
            cpu_cores=1.0,
            memory_bytes=sum(m.rss_bytes for m in members),
            memory_limit=0,
            open_fds=self._fds(m.pid for m in members),
            cpu_from_cgroup=False,
        )

    def _from_cgroup(self, cgroup: CgroupUsage) -> Usage:
        """A figure the groups do not keep (v1 without cpuacct beside cpu, a group made for the
        CPU limit only) comes from the group's processes."""
        members: list[ProcStat] = []
        if cgroup.cpu_seconds is None or cgroup.memory_bytes is None:
            members = [s for s in map(self._proc.stat, cgroup.pids) if s is not None]
        return Usage(
            cpu_seconds=(
                cgroup.cpu_seconds
                if cgroup.cpu_seconds is not None
                else sum(m.cpu_seconds for m in members)
            ),
            cpu_cores=cgroup.cpu_cores or 1.0,
            memory_bytes=(
                cgroup.memory_bytes
                if cgroup.memory_bytes is not None
                else sum(m.rss_bytes for m in members)
            ),
            memory_limit=cgroup.memory_limit or 0,
            open_fds=self._fds(cgroup.pids),
            cpu_from_cgroup=cgroup.cpu_seconds is not None,
        )

    def _fds(self, pids: Iterable[int]) -> int | None:
        counts = [n for n in map(self._proc.open_fds, pids) if n is not None]
        return sum(counts) if counts else None


def host_memory() -> tuple[int, int]:
    """This host's available and total memory, in bytes."""
    memory = psutil.virtual_memory()
    return memory.available, memory.total


def _cpu(before: _Previous | None, pid: int, usage: Usage, now: float) -> float | None:
    """The share of its limit used since `before`; None without a comparable reading."""
    if before is None or (before.pid, before.cpu_from_cgroup) != (pid, usage.cpu_from_cgroup):
        return None
    used, elapsed = usage.cpu_seconds - before.cpu_seconds, now - before.at
    if used < 0 or elapsed <= 0:
        return None
    return used / elapsed / usage.cpu_cores


def _samples(
    inst: Instance, usage: Usage, cpu: float | None, at: float, host_memory: int
) -> list[Sample]:
    series = Series(inst.app, inst.env, inst.service, inst.id, f"v{inst.release}")
    limit = usage.memory_limit
    figures: dict[str, float | None] = {
        "cpu": cpu,
        "memory_bytes": usage.memory_bytes,
        "memory_limit_bytes": limit,
        "memory": usage.memory_bytes / (limit or host_memory),
        "open_fds": usage.open_fds,
    }
    return [Sample(name, series, float(v), at) for name, v in figures.items() if v is not None]
