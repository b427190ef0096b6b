"""Commands are values; the Runner is the one place that runs them (never with a shell)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from launchdeck.system.errors import LaunchdeckError


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    env: Mapping[str, str] | None = None  # None = inherit the caller's environment
    cwd: Path | None = None
    timeout: float | None = None
    input: bytes | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True)
class Result:
    command: Command
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False  # killed by the command's timeout

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()


class CommandFailed(LaunchdeckError):
    """A command that exited non-zero (or timed out): the message shows its output's tail; the
    fix is the caller's to give, when it knows one."""

    def __init__(self, result: Result, fix: str = "") -> None:
        self.result = result
        tail = "\n".join(result.output.splitlines()[-20:])
        super().__init__(f"`{result.command}` exited with {result.returncode}:\n{tail}", fix)


class Runner:
    """Runs Commands. Tests hand in a subclass that records argv instead."""

    def run(self, command: Command, *, check: bool = True) -> Result:
        try:
            proc = subprocess.run(
                command.argv,
                env=dict(command.env) if command.env is not None else None,
                cwd=command.cwd,
                input=command.input,
                capture_output=True,
                timeout=command.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            result = Result(
                command, -9, _text(exc.stdout), _text(exc.stderr) + "\n(timed out)", timed_out=True
            )
            raise CommandFailed(result) from None
        except FileNotFoundError:
            result = Result(command, 127, "", f"{command.argv[0]}: command not found")
            if check:
                raise CommandFailed(result) from None
            return result
        result = Result(command, proc.returncode, _text(proc.stdout), _text(proc.stderr))
        if check and not result.ok:
            raise CommandFailed(result)
        return result

    def stream(self, command: Command, on_line: Callable[[str], None] | None = None) -> Result:
        """Run with stdout and stderr merged, handing each line to `on_line` as it arrives;
        the command's timeout kills its whole process group."""
        with subprocess.Popen(
            command.argv,
            env=dict(command.env) if command.env is not None else None,
            cwd=command.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
        ) as proc:
            assert proc.stdout is not None
            timer = _Deadline(proc, command.timeout)
            lines: list[str] = []
            for line in proc.stdout:
                lines.append(line)
                if on_line is not None:
                    on_line(line.rstrip("\n"))
            returncode = proc.wait()
            timer.cancel()
        if timer.fired:
            lines.append(f"(timed out after {command.timeout:g}s)\n")
        return Result(command, returncode, "".join(lines), "", timed_out=timer.fired)

    def spawn(self, command: Command, *, log: Path) -> subprocess.Popen[bytes]:
        """Start a long-running process in its own session, output appended to `log`."""
        log.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            return subprocess.Popen(
                command.argv,
                env=dict(command.env) if command.env is not None else None,
                cwd=command.cwd,
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=fd,
                start_new_session=True,
                close_fds=True,
            )
        finally:
            os.close(fd)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


class _Deadline:
    """Kills a streamed command's process group when its timeout passes."""

    def __init__(self, proc: subprocess.Popen[str], timeout: float | None) -> None:
        self.fired = False
        self._proc = proc
        self._timer: threading.Timer | None = None
        if timeout is not None:
            self._timer = threading.Timer(timeout, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGKILL)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
