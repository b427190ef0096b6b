"""One-off processes (`launchdeck run`, cron jobs): the environment's release, config and jail, in
a session of their own, never routed.

Detached, a run is started like an instance (output to its log file, which `launchdeck logs`
reads under its id). Attached, it runs on a pseudo-terminal when the user's terminal is one (so
`python manage.py shell` works: line editing, Ctrl-C as SIGINT to it), else on pipes; whoever
attached relays the bytes (controlplane/runs).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import shlex
import signal
import struct
import subprocess
import termios
from dataclasses import dataclass, replace

from launchdeck.drivers.local.processes import Launch

READ_SIZE = 65536


@dataclass
class Attached:
    """A started one-off process and the one descriptor its terminal (or its pipes) are read
    and written through."""

    popen: subprocess.Popen[bytes]
    output: int  # read: what it writes (stdout and stderr, merged)
    input: int  # write: its stdin
    tty: bool

    @property
    def pid(self) -> int:
        return self.popen.pid

    def read(self) -> bytes:
        """The next bytes it wrote; b"" once it closed its end (a pty then reads EIO)."""
        try:
            return os.read(self.output, READ_SIZE)
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):  # it may have exited, or closed its stdin
            os.write(self.input, data)

    def close_input(self) -> None:
        """EOF on stdin (a pipe), or ^D on a terminal."""
        if self.tty:
            self.write(b"\x04")
        elif self.input != self.output:
            with contextlib.suppress(OSError):
                os.close(self.input)

    def resize(self, rows: int, cols: int) -> None:
        if self.tty and 0 < rows < 10_000 and 0 < cols < 10_000:
            with contextlib.suppress(OSError):
                fcntl.ioctl(self.output, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def signal(self, signum: int) -> None:
        """To its whole session's process group (the shell and what it started)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)

    def wait(self) -> int:
        return self.popen.wait()

    def stop(self, timeout: float = 10.0) -> int:
        if self.tty:  # hang up: the command's session gets SIGHUP, as when a terminal closes
            self.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                return self.popen.wait(timeout)
        self.signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.popen.wait()

    def close(self) -> None:
        for fd in {self.output, self.input}:
            with contextlib.suppress(OSError):
                os.close(fd)


def start_attached(launch: Launch, *, tty: bool, rows: int = 24, cols: int = 80) -> Attached:
    if tty:
        # The terminal becomes the controlling terminal of the command's own session, inside
        # the jail: Ctrl-C then interrupts the command, not the jail around it (which would
        # take the whole run down with it). The shell running the user's line traps SIGINT
        # (a handler, which its children do not inherit), so it outlives a Ctrl-C its command
        # handles (a REPL) and exits with the command's status.
        line = shlex.quote(f"trap : INT QUIT; {launch.command}")
        inner = f"exec setsid --ctty /bin/sh -c {line}"
        launch = replace(launch, command=inner)
    command = launch.confined()
    env = dict(command.env or {})
    if tty:
        env.setdefault("TERM", "xterm-256color")
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        stdin = stdout = slave
        ends = (master, master)
    else:
        read_in, write_in = os.pipe()
        read_out, write_out = os.pipe()
        stdin, stdout = read_in, write_out
        ends = (read_out, write_in)
    try:
        popen = subprocess.Popen(
            command.argv, env=env, cwd=command.cwd, stdin=stdin, stdout=stdout, stderr=stdout,
            start_new_session=True,  # its own session, apart from the control plane's
            close_fds=True,
        )  # fmt: skip
    except BaseException:
        for fd in {*ends, stdin, stdout}:
            os.close(fd)
        raise
    for fd in {stdin, stdout}:
        os.close(fd)  # the child's ends
    return Attached(popen, ends[0], ends[1], tty)
