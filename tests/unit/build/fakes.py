"""Named fakes for the build package's unit tests: a Runner that records argv, a stepping clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from launchdeck.system import Command, Result, Runner

Reply = Callable[[Command], tuple[int, str]]


class RecordingRunner(Runner):
    """Records every Command; answers from `replies` (first argv word match, e.g. "-m venv").

    `python -m venv <dir>` also creates <dir>/bin/python, as the real one would."""

    def __init__(self, replies: dict[str, tuple[int, str]] | None = None) -> None:
        self.commands: list[Command] = []
        self.replies = dict(replies or {})

    def run(self, command: Command, *, check: bool = True) -> Result:
        return self._answer(command)

    def stream(self, command: Command, on_line: Callable[[str], None] | None = None) -> Result:
        result = self._answer(command)
        for line in result.stdout.splitlines():
            if on_line is not None:
                on_line(line)
        return result

    def argvs(self) -> list[tuple[str, ...]]:
        return [command.argv for command in self.commands]

    def _answer(self, command: Command) -> Result:
        self.commands.append(command)
        line = " ".join(command.argv)
        if "-m venv" in line:
            (Path(command.argv[-1]) / "bin").mkdir(parents=True)
            (Path(command.argv[-1]) / "bin" / "python").touch()
        for needle, (code, output) in self.replies.items():
            if needle in line:
                return Result(command, code, output, "")
        if "-c" in command.argv and "cache_tag" in line:
            return Result(command, 0, "cpython-311 x86_64 /opt/python\n", "")
        if command.argv == ("node", "--version"):
            return Result(command, 0, "v20.0.0\n", "")
        return Result(command, 0, "", "")


class SteppingClock:
    """Each now() is one second after the previous: builds get distinct, ordered times."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start

    def now(self) -> float:
        self.t += 1.0
        return self.t

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


MakeApp = Callable[..., Path]


def leftovers(root: Path) -> list[str]:
    """Everything under a build root but its (empty) directories and lock files."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if (path.is_symlink() or not path.is_dir()) and path.parent.name != "locks"
    )
