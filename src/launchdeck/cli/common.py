"""What every command module of the CLI shares: the options, the API client, the paths."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer

from launchdeck.cli.client import Client, CliError, Endpoint
from launchdeck.cli.source import default_app

AppOpt = Annotated[
    str | None, typer.Option("--app", "-a", help="App name (default: the manifest's).")
]
EnvOpt = Annotated[str, typer.Option("--env", "-e", help="Environment.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def client() -> Client:
    """One client per endpoint for the process: a command that calls twice reuses its
    connection."""
    return _client_for(Endpoint.find())


@functools.cache
def _client_for(endpoint: Endpoint) -> Client:
    return Client(endpoint)


def env_path(app_name: str | None, env: str) -> str:
    name = app_name or default_app(Path.cwd())
    if not name:
        raise CliError(
            "no app given", "pass --app NAME or run from a directory with launchdeck.toml"
        )
    return f"/v1/apps/{name}/envs/{env}"
