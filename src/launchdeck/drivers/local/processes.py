"""Instance processes: each runs in its own session (so it outlives the control plane), with its
output appended to a log file and its pid written by itself before it execs the app, in its jail
(the cgroup and the pid are ours to set up, so they are done before the jail is entered)."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil

from launchdeck.system import OPEN, SYSTEM_CLOCK, Clock, Command, Jail, Runner, wait_until


@dataclass(frozen=True)
class Launch:
    """What to run for one instance."""

    instance_id: str
    command: str  # the user's command line, run by /bin/sh as Heroku does
    env: Mapping[str, str]
    cwd: Path
    log: Path
    pidfile: Path
    cgroup_procs: tuple[Path, ...] = ()  # cgroup.procs files the instance joins before exec
    jail: Jail = OPEN

    def confined(self) -> Command:
        """The user's line (run as a whole: `a && b`, `cd x; y`, `FOO=1 cmd`, as Heroku does),
        as the jail runs it."""
        command = Command(("/bin/sh", "-c", self.command), env=self.env, cwd=self.cwd)
        return self.jail.confine(command)


@dataclass(frozen=True)
class Proc:
    pid: int
    started_at: float  # the kernel's create time: a recycled pid will not match it


def wrapper_script(launch: Launch) -> str:
    """The shell prologue: join cgroups, record our pid, then become the app (exec)."""
    steps = [f"echo $$ > {shlex.quote(str(p))} 2>/dev/null" for p in launch.cgroup_procs]
    steps.append(f"echo $$ > {shlex.quote(str(launch.pidfile))}")
    steps.append(f"exec {shlex.join(launch.confined().argv)}")
    return "; ".join(steps)


class Processes:
    def __init__(self, *, runner: Runner | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._runner = runner or Runner()
        self._clock = clock
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._started: dict[int, float] = {}  # pid -> start time, of children
        self._exit_codes: dict[int, int] = {}  # of children we reaped

    def start(self, launch: Launch) -> Proc:
        launch.pidfile.parent.mkdir(parents=True, exist_ok=True)
        env = launch.confined().env
        command = Command(("/bin/sh", "-c", wrapper_script(launch)), env=env, cwd=launch.cwd)
        popen = self._runner.spawn(command, log=launch.log)
        self._children[popen.pid] = popen
        started = self._started[popen.pid] = _create_time(popen.pid) or self._clock.now()
        return Proc(popen.pid, started)

    def alive(self, proc: Proc) -> bool:
        child = self._children.get(proc.pid)
        if child is not None:  # ours: until we reap it, its pid is its own (and cheap to ask)
            if child.poll() is None:
                return abs(self._started[proc.pid] - proc.started_at) <= 1.0
            self._reaped(proc.pid)
            return False
        created = _create_time(proc.pid)
        if created is None or abs(created - proc.started_at) > 1.0:
            return False
        try:
            return psutil.Process(proc.pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def exit_code(self, proc: Proc) -> int | None:
        child = self._children.get(proc.pid)
        if child is not None:
            return child.poll()
        return self._exit_codes.get(proc.pid)

    def stop(self, proc: Proc, *, timeout: float) -> None:
        """SIGTERM the instance's process group, wait until every process in it has exited (the
        app may be a child of its shell), then SIGKILL what is left after `timeout` seconds."""
        if not self.alive(proc):
            if not psutil.pid_exists(proc.pid):  # never signal a recycled pid's new owner
                self._killpg(proc.pid, signal.SIGKILL)  # leftovers of a dead leader
            return
        self._killpg(proc.pid, signal.SIGTERM)

        def exited() -> bool:
            self._reap(proc.pid)
            return not group_alive(proc.pid)

        # an app that exits on SIGTERM is gone in a few ms: look often (the check is cheap)
        wait_until(exited, timeout=timeout, interval=0.01, clock=self._clock)
        self._killpg(proc.pid, signal.SIGKILL)
        self._reap(proc.pid, wait=True)

    def adopt_pid(self, pidfile: Path) -> Proc | None:
        """The process an instance recorded for itself, if it still runs."""
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        created = _create_time(pid)
        return Proc(pid, created) if created is not None else None

    def _killpg(self, pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)

    def _reap(self, pid: int, *, wait: bool = False) -> None:
        child = self._children.get(pid)
        if child is None:
            return
        try:
            child.wait(timeout=2.0) if wait else child.poll()
        except subprocess.TimeoutExpired:
            return
        if child.returncode is not None:
            self._reaped(pid)

    def _reaped(self, pid: int) -> None:
        self._exit_codes[pid] = self._children.pop(pid).returncode
        self._started.pop(pid, None)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies nobody reaped do not count)."""
    try:
        os.killpg(pgid, 0)  # the kernel's answer, zombies included: cheap, and usually final
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # some member runs as an app account: it exists
    for proc in psutil.process_iter(["status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False


def _create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None
