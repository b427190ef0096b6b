"""`launchdeck aws ...` run in-process, answering what `main()` would print and exit with."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

from launchdeck.cli.client import CliError
from launchdeck.entry import app


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    output: str


def run_aws(*args: str) -> Outcome:
    """A CliError becomes `error: ...` + `fix: ...` with its exit code, as main() prints it."""
    result = CliRunner().invoke(app, ["aws", *args])
    if isinstance(result.exception, CliError):
        exc = result.exception
        return Outcome(exc.code, f"error: {exc.message}\nfix: {exc.fix}")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.output)
