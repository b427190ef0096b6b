"""Running one build step: output goes line by line to the build log, failure to a BuildError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from launchdeck.build.errors import BuildError, tail
from launchdeck.system import Command, Result, Runner

Log = Callable[[str], None]

INDENT = " " * 7  # Heroku indents tool output under its "-----> " step lines
STEP_TIMEOUT = 15 * 60.0  # Heroku's build limit: a hung install must not hang the deploy


def discard(line: str) -> None:
    """The default build log."""


def stream(
    runner: Runner,
    command: Command,
    log: Log,
    *,
    what: str,
    fix: str,
    summary: Callable[[str], str] = tail,
) -> Result:
    """Run `command`, streaming its output to `log`; a non-zero exit raises a BuildError that
    says `what` failed and how to `fix` it, with the `summary` of the output as its log_tail.
    Steps without a timeout get STEP_TIMEOUT."""
    if command.timeout is None:
        command = replace(command, timeout=STEP_TIMEOUT)
    try:
        result = runner.stream(command, lambda line: log(INDENT + line))
    except FileNotFoundError:
        raise not_found(command) from None
    if not result.ok:
        raise failure(result, what=what, fix=fix, summary=summary)
    return result


def run(runner: Runner, command: Command, *, what: str, fix: str) -> Result:
    """Run a quick `command` with its output captured; otherwise as `stream`."""
    result = runner.run(command, check=False)
    if result.returncode == 127 and "command not found" in result.stderr:
        raise not_found(command)
    if not result.ok:
        raise failure(result, what=what, fix=fix)
    return result


def not_found(command: Command) -> BuildError:
    return BuildError(f"{command.argv[0]}: command not found: install it on the build host")


def failure(
    result: Result, *, what: str, fix: str, summary: Callable[[str], str] = tail
) -> BuildError:
    timeout = result.command.timeout
    if timeout is not None and result.output.endswith(f"(timed out after {timeout:g}s)"):
        outcome = f"timed out after {timeout:g}s"
    else:
        outcome = f"failed (exit {result.returncode})"
    return BuildError(f"{what} {outcome}: {fix}", log_tail=summary(result.output))
