"""Memory and CPU limits through cgroups, v2 or v1, where the host lets us write them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from launchdeck.domain import Resources

CPU_PERIOD_US = 100_000


@dataclass(frozen=True)
class Support:
    enabled: bool
    detail: str


class Cgroups:
    """Creates one cgroup per instance under a `launchdeck` parent and returns the procs files
    the instance writes its own pid to before it execs (so no moment runs unlimited)."""

    def __init__(self, root: Path = Path("/sys/fs/cgroup"), name: str = "launchdeck") -> None:
        self.root, self.name = root, name
        self.support = self._detect()

    def _detect(self) -> Support:
        if (self.root / "cgroup.controllers").exists():
            parent = self.root / self.name
            try:
                parent.mkdir(exist_ok=True)
                # a group only gets memory.max / cpu.max when its parent enables them
                (self.root / "cgroup.subtree_control").write_text("+memory +cpu")
                (parent / "cgroup.subtree_control").write_text("+memory +cpu")
            except OSError as exc:
                return Support(False, f"cgroup v2 not writable ({exc.strerror})")
            return Support(True, "cgroup v2")
        missing = [c for c in ("memory", "cpu") if not (self.root / c / "cgroup.procs").exists()]
        if missing:
            return Support(False, f"no cgroup controller for {', '.join(missing)}")
        try:
            for controller in ("memory", "cpu"):
                (self.root / controller / self.name).mkdir(exist_ok=True)
        except OSError as exc:
            return Support(False, f"cgroup v1 not writable ({exc.strerror})")
        return Support(True, "cgroup v1")

    @property
    def v2(self) -> bool:
        return self.support.detail == "cgroup v2"

    def prepare(self, instance_id: str, resources: Resources) -> tuple[Path, ...]:
        if not self.support.enabled or (resources.cpu is None and resources.memory is None):
            return ()
        try:
            return self._v2(instance_id, resources) if self.v2 else self._v1(instance_id, resources)
        except OSError:
            return ()

    def _v2(self, instance_id: str, res: Resources) -> tuple[Path, ...]:
        group = self.root / self.name / instance_id
        group.mkdir(exist_ok=True)
        if res.memory is not None:
            (group / "memory.max").write_text(str(res.memory))
        if res.cpu is not None:
            (group / "cpu.max").write_text(f"{int(res.cpu * CPU_PERIOD_US)} {CPU_PERIOD_US}")
        return (group / "cgroup.procs",)

    def _v1(self, instance_id: str, res: Resources) -> tuple[Path, ...]:
        procs: list[Path] = []
        if res.memory is not None:
            group = self.root / "memory" / self.name / instance_id
            group.mkdir(exist_ok=True)
            (group / "memory.limit_in_bytes").write_text(str(res.memory))
            procs.append(group / "cgroup.procs")
        if res.cpu is not None:
            group = self.root / "cpu" / self.name / instance_id
            group.mkdir(exist_ok=True)
            (group / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(int(res.cpu * CPU_PERIOD_US)))
            procs.append(group / "cgroup.procs")
        return tuple(procs)

    def release(self, instance_id: str) -> None:
        """Remove an instance's (now empty) cgroups."""
        bases = (
            [self.root / self.name]
            if self.v2
            else [self.root / c / self.name for c in ("memory", "cpu")]
        )
        for base in bases:
            group = base / instance_id
            if group.exists():
                try:
                    group.rmdir()
                except OSError:
                    shutil.rmtree(group, ignore_errors=True)
