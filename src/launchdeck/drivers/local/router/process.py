"""The HAProxy processes of one router root: finding the binary, checking a config, starting a
daemonized master-worker, telling our processes from everyone else's, and stopping them.

A process is ours when it is a live (not zombie) `haproxy` whose command line names our config
file: that survives pid reuse and tells two routers on one host apart.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
from collections.abc import Iterable
from pathlib import Path

import psutil

from launchdeck.drivers.local import daemons
from launchdeck.drivers.local.router.config import RouterPaths
from launchdeck.drivers.local.router.errors import (
    ConfigInvalid,
    HAProxyNotInstalled,
    StartFailed,
)
from launchdeck.system import SYSTEM_CLOCK, Clock, Command, Runner, wait_until

# Debian installs haproxy in /usr/sbin, which is not on a normal user's PATH.
_SBIN_PATH = os.pathsep.join(("/usr/local/sbin", "/usr/sbin", "/sbin"))
_BIND_ERRORS = ("cannot bind socket", "Address already in use", "Starting frontend")


def find_haproxy(name: str) -> str:
    found = shutil.which(name) or (None if os.sep in name else shutil.which(name, path=_SBIN_PATH))
    if found is None:
        raise HAProxyNotInstalled(name)
    return found


def check_config(haproxy: str, config: Path) -> Command:
    return Command(argv=(haproxy, "-c", "-f", str(config)), cwd=config.parent, timeout=30.0)


def start_master(haproxy: str, paths: RouterPaths) -> Command:
    return Command(
        argv=(
            haproxy,
            "-W",
            "-D",
            "-S", f"{paths.master_socket},mode,600",
            "-p", str(paths.pidfile),
            "-f", str(paths.config),
        ),
        cwd=paths.root,
        timeout=30.0,
    )  # fmt: skip


class HAProxyProcesses:
    def __init__(self, paths: RouterPaths, *, runner: Runner, clock: Clock = SYSTEM_CLOCK) -> None:
        self.paths = paths
        self.runner = runner
        self.clock = clock
        self._known_master: tuple[int, float] | None = None  # (pid, start time) found ours

    # -- checking and starting ---------------------------------------------------------------

    def check(self, haproxy: str, config: Path) -> None:
        result = self.runner.run(check_config(haproxy, config), check=False)
        if result.returncode == 127:
            raise HAProxyNotInstalled(haproxy)
        if not result.ok:
            raise ConfigInvalid(result.output)

    def start(self, haproxy: str, *, retry_for: float = 5.0) -> int:
        """Start a daemonized master; retry while the port is still held by a dying process."""
        deadline = self.clock.monotonic() + retry_for
        while True:
            result = self.runner.run(start_master(haproxy, self.paths), check=False)
            pid = self._await_master() if result.ok else None
            if pid is not None:
                return pid
            if result.returncode == 127:
                raise HAProxyNotInstalled(haproxy)
            bind_error = any(marker in result.output for marker in _BIND_ERRORS)
            if not bind_error or self.clock.monotonic() >= deadline:
                raise StartFailed(
                    f"haproxy did not start (exit {result.returncode}); "
                    f"{'is another program using the port? ' if bind_error else ''}"
                    f"output:\n{result.output or '(none)'}"
                )
            self.clock.sleep(0.25)

    def _await_master(self, timeout: float = 3.0) -> int | None:
        """The daemonizing parent can exit before the pidfile names a running master."""
        pid: int | None = None

        def named() -> bool:
            nonlocal pid
            pid = self.master_pid()
            return pid is not None

        wait_until(named, timeout=timeout, interval=0.02, clock=self.clock)
        return pid

    # -- finding ours ------------------------------------------------------------------------

    def master_pid(self) -> int | None:
        try:
            pid = int(self.paths.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            proc = psutil.Process(pid)
            if (pid, proc.create_time()) == self._known_master:  # checked once already
                return pid if proc.status() != psutil.STATUS_ZOMBIE else None
        except psutil.Error:
            return None
        if not self.is_ours(proc):
            return None
        self._known_master = (pid, proc.create_time())
        return pid

    def is_ours(self, proc: psutil.Process) -> bool:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE or "haproxy" not in proc.name():
                return False
            argv = proc.cmdline()
        except psutil.Error:
            return False
        config = str(self.paths.config)
        return any(a == "-f" and b == config for a, b in itertools.pairwise(argv))

    def all_ours(self) -> list[psutil.Process]:
        """Master and workers, including workers orphaned by a killed master."""
        return [proc for proc in psutil.process_iter() if self.is_ours(proc)]

    # -- stopping ----------------------------------------------------------------------------

    def signal(self, procs: Iterable[psutil.Process], sig: signal.Signals) -> None:
        daemons.send(procs, sig)

    def wait_gone(self, procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
        """Wait until none is alive; dead-but-unreaped zombies count as gone. Returns the rest."""
        return daemons.wait_gone(procs, timeout, clock=self.clock)

    def stop(self, timeout: float = 5.0) -> None:
        # SIGTERM is a hard stop: the master stops its workers; orphans get it directly.
        procs = self.all_ours()
        self.signal(procs, signal.SIGTERM)
        left = self.wait_gone(procs, timeout)
        self.signal(left, signal.SIGKILL)
        self.wait_gone(left, 2.0)
        self.paths.pidfile.unlink(missing_ok=True)
