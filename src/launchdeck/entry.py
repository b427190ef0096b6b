"""The `launchdeck` console script: the control-plane verbs of cli/ plus `launchdeck aws`.

The aws group (troposphere, boto3) takes longer to import than the whole rest of the CLI, so it
is added only when it is asked for, or when help may list it: `launchdeck deploy` starts fast.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

# httpx imports its own command line (click, pygments, rich.syntax, rich.progress) as it is
# imported, though nothing here runs it: 30-50 ms of every CLI start. An empty entry makes that
# import fail the way httpx handles when its CLI extras are missing (it defines a stub `main`).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import typer  # noqa: E402

from launchdeck.cli import main as cli  # noqa: E402


def with_aws() -> typer.Typer:
    """The CLI with its `aws` group (added once)."""
    if not any(group.name == "aws" for group in cli.app.registered_groups):
        from launchdeck.awscli.main import app as aws_app

        cli.app.add_typer(aws_app, name="aws")
    return cli.app


def needs_aws(args: list[str]) -> bool:
    words = [arg for arg in args if not arg.startswith("-")]
    return not words or words[0] == "aws" or "--help" in args or "-h" in args


def main() -> None:
    if needs_aws(sys.argv[1:]):
        with_aws()
    try:
        cli.main()
    except SystemExit as done:
        exit_now(done.code)
    exit_now(0)


def exit_now(code: str | int | None) -> None:
    """Exit without the interpreter's teardown of every module the CLI imported: it takes
    longer (50-90 ms) than a deploy's upload. Output is flushed first; a command that left a
    thread running exits the usual way, which waits for it."""
    if threading.active_count() > 1:
        sys.exit(code)
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def __getattr__(name: str) -> Any:
    if name == "app":  # tests drive the whole CLI, aws group included
        return with_aws()
    raise AttributeError(name)
