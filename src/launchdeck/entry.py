"""The `launchdeck` console script: the control-plane verbs of cli/ plus `launchdeck aws`."""

from __future__ import annotations

from launchdeck.awscli.main import app as aws_app
from launchdeck.cli import main as cli

cli.app.add_typer(aws_app, name="aws")
app = cli.app


def main() -> None:
    cli.main()
