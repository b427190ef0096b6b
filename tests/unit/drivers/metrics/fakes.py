"""Fake /proc and cgroup trees in tmp_path: the files a kernel would show, as plain files."""

from __future__ import annotations

from pathlib import Path

from launchdeck.domain import Instance, InstanceState
from launchdeck.drivers.local.metrics.procfs import CLOCK_TICKS

BOOT = 1_700_000_000


def stat_line(
    pid: int,
    *,
    comm: str,
    state: str,
    pgrp: int,
    ticks: tuple[int, int, int, int],
    start_ticks: int,
    rss_pages: int,
) -> str:
    """All 52 fields of proc(5); the ones not named are 0."""
    fields = [0] * 52
    fields[3], fields[4], fields[5] = 1, pgrp, pgrp  # ppid, pgrp, session
    fields[13:17] = ticks  # utime stime cutime cstime
    fields[21], fields[23] = start_ticks, rss_pages
    rest = " ".join(str(f) for f in fields[3:])
    return f"{pid} ({comm}) {state} {rest}\n"


class FakeProc:
    """`children=True`: the kernel lists each task's children (CONFIG_PROC_CHILDREN)."""

    def __init__(self, root: Path, *, children: bool = True) -> None:
        self.root, self.lists_children = root, children
        root.mkdir(parents=True, exist_ok=True)
        (root / "stat").write_text(f"cpu  1 2 3 4\nbtime {BOOT}\nprocesses 99\n")
        self.kids: dict[int, list[int]] = {}

    def add(
        self,
        pid: int,
        *,
        pgrp: int | None = None,
        parent: int | None = None,
        ticks: tuple[int, int, int, int] = (0, 0, 0, 0),
        start_ticks: int = 500,
        rss_pages: int = 0,
        fds: int = 3,
        state: str = "S",
        comm: str = "python",
    ) -> None:
        proc = self.root / str(pid)
        (proc / "task" / str(pid)).mkdir(parents=True, exist_ok=True)
        (proc / "fd").mkdir(exist_ok=True)
        for n in range(fds):
            (proc / "fd" / str(n)).write_text("")
        self.kids[pid] = []
        self._write_children(pid)
        if parent is not None:
            self.kids[parent].append(pid)
            self._write_children(parent)
        self.set(pid, pgrp=pgrp if pgrp is not None else pid, ticks=ticks,
                 start_ticks=start_ticks, rss_pages=rss_pages, state=state, comm=comm)  # fmt: skip

    def set(
        self,
        pid: int,
        *,
        pgrp: int,
        ticks: tuple[int, int, int, int],
        start_ticks: int = 500,
        rss_pages: int = 0,
        state: str = "S",
        comm: str = "python",
    ) -> None:
        line = stat_line(pid, comm=comm, state=state, pgrp=pgrp, ticks=ticks,
                         start_ticks=start_ticks, rss_pages=rss_pages)  # fmt: skip
        (self.root / str(pid) / "stat").write_text(line)

    def _write_children(self, pid: int) -> None:
        if self.lists_children:
            text = " ".join(str(k) for k in self.kids[pid])
            (self.root / str(pid) / "task" / str(pid) / "children").write_text(text)

    def started_at(self, start_ticks: int = 500) -> float:
        return BOOT + start_ticks / CLOCK_TICKS


def instance(
    pid: int | None, started_at: float | None, *, name: str = "shop-staging-web-a1b2"
) -> Instance:
    return Instance(name, "shop", "staging", "web", 7, InstanceState.RUNNING,
                    port=5000, pid=pid, started_at=started_at)  # fmt: skip


def cgroup_v2(root: Path) -> Path:
    """A host whose cgroup v2 root the control plane may write."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (root / "cgroup.subtree_control").write_text("")
    return root


def write_files(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
