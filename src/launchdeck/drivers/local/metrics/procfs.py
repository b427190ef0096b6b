"""An instance's processes as /proc shows them: its process group, each member's CPU time and
resident memory (`/proc/<pid>/stat`) and open file descriptors (`/proc/<pid>/fd`).

These are the files psutil reads on Linux; reading them here costs one read per process (a
psutil.Process reads the same stat file again for each figure) and lets tests hand in a fake
tree. The group is found by walking the leader's children (`/proc/<pid>/task/<tid>/children`)
where the kernel has them, else from one scan of /proc per pass, shared by every instance: a
process group has no file of its own to list it.

A process can exit between any two reads, and /proc/<pid>/fd of another account's process is
closed to a daemon that does not run as root: such a process is left out, silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
ZOMBIE = "Z"


@dataclass(frozen=True)
class ProcStat:
    """One process, from `/proc/<pid>/stat`."""

    pid: int
    state: str  # R, S, D, Z, ...
    pgrp: int
    cpu_ticks: int  # utime + stime + cutime + cstime: its own and its reaped children's
    start_ticks: int  # since boot
    rss_pages: int

    @property
    def cpu_seconds(self) -> float:
        return self.cpu_ticks / CLOCK_TICKS

    @property
    def rss_bytes(self) -> int:
        return self.rss_pages * PAGE_SIZE


def parse_stat(pid: int, text: str) -> ProcStat:
    """`/proc/<pid>/stat`; the command name may hold spaces and parentheses, so the fields are
    counted from its last ')' (proc(5) numbers them from 1: state is the 3rd)."""
    fields = text[text.rindex(")") + 2 :].split()

    def field(number: int) -> int:
        return int(fields[number - 3])

    return ProcStat(
        pid=pid,
        state=fields[0],
        pgrp=field(5),
        cpu_ticks=field(14) + field(15) + field(16) + field(17),
        start_ticks=field(22),
        rss_pages=field(24),
    )


class ProcFS:
    def __init__(self, root: Path = Path("/proc")) -> None:
        self.root = root
        self._boot_time: float | None = None
        self._children_listed: bool | None = None  # None: not yet known

    def stat(self, pid: int) -> ProcStat | None:
        """None when the process is gone (or its file is not readable)."""
        try:
            text = (self.root / str(pid) / "stat").read_text()
            return parse_stat(pid, text)
        except (OSError, ValueError, IndexError):
            return None

    def open_fds(self, pid: int) -> int | None:
        """None when the process is gone or its descriptors are not ours to see."""
        try:
            return len(os.listdir(self.root / str(pid) / "fd"))
        except OSError:
            return None

    def create_time(self, stat: ProcStat) -> float:
        """Seconds since the epoch, as psutil's create_time() (and so Instance.started_at)."""
        return self.boot_time() + stat.start_ticks / CLOCK_TICKS

    def boot_time(self) -> float:
        if self._boot_time is None:
            for line in (self.root / "stat").read_text().splitlines():
                if line.startswith("btime "):
                    self._boot_time = float(line.split()[1])
                    break
            else:
                raise OSError(f"no btime line in {self.root / 'stat'}")
        return self._boot_time

    def pids(self) -> list[int]:
        try:
            return [int(e.name) for e in os.scandir(self.root) if e.name.isdigit()]
        except OSError:
            return []

    def children(self, pid: int) -> list[int] | None:
        """The children of every thread of `pid`; None when this kernel does not list them
        (no CONFIG_PROC_CHILDREN), [] when the process is gone."""
        if self._children_listed is False:
            return None
        tasks = self.root / str(pid) / "task"
        try:
            tids = os.listdir(tasks)
        except OSError:
            return []
        found: list[int] = []
        for tid in tids:
            try:
                text = (tasks / tid / "children").read_text()
            except FileNotFoundError:
                if not self._children_listed and (tasks / tid).is_dir():
                    self._children_listed = False  # the thread is there, the file is not
                    return None
                continue  # the thread ended
            except OSError:
                continue
            self._children_listed = True
            found.extend(int(child) for child in text.split())
        return found


class ProcessGroups:
    """The live members of process groups, for one collection pass (make one per pass)."""

    def __init__(self, proc: ProcFS) -> None:
        self._proc = proc
        self._scanned: dict[int, list[ProcStat]] | None = None

    def members(self, leader: ProcStat) -> list[ProcStat]:
        """The leader and every process of its group. Zombies count: their CPU time is theirs
        until their parent reaps them (then it is the parent's), and they hold no memory."""
        walked = self._walk(leader)
        return walked if walked is not None else self._scan().get(leader.pgrp, [leader])

    def _walk(self, leader: ProcStat) -> list[ProcStat] | None:
        found, todo = [leader], [leader.pid]
        while todo:
            children = self._proc.children(todo.pop())
            if children is None:
                return None
            for stat in _stats(self._proc, children):
                if stat.pgrp == leader.pgrp:  # one that made a group of its own is not ours
                    found.append(stat)
                    todo.append(stat.pid)
        return found

    def _scan(self) -> dict[int, list[ProcStat]]:
        if self._scanned is None:
            self._scanned = {}
            for stat in _stats(self._proc, self._proc.pids()):
                self._scanned.setdefault(stat.pgrp, []).append(stat)
        return self._scanned


def _stats(proc: ProcFS, pids: Iterable[int]) -> list[ProcStat]:
    return [s for s in map(proc.stat, pids) if s is not None]
