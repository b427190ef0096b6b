"""`launchdeck addons create|list`, `launchdeck db url|psql` and `launchdeck redis-cli` (the
other `db` commands, backups and restores, are in cli/db.py).

`db url`, `db psql` and `redis-cli` read the environment's URL as a revealed secret, so they
work for admin tokens only (a production database is not open to deployers)."""

from __future__ import annotations

import os
import shutil
from typing import Annotated

import typer

from launchdeck.cli.client import CliError
from launchdeck.cli.commands.db import db_cmd
from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.deployments import follow
from launchdeck.cli.output import console, print_json, table

addons_cmd = typer.Typer(help="PostgreSQL and Redis for an environment.", no_args_is_help=True)


@addons_cmd.command("create")
def addons_create(
    kind: Annotated[str, typer.Argument(help="postgres or redis")],
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    version: Annotated[
        str | None, typer.Option("--version", help="Major version (default: newest installed).")
    ] = None,
) -> None:
    """Attach an add-on now; a running environment restarts with its URL."""
    if kind not in ("postgres", "redis"):
        raise CliError(f"unknown add-on {kind!r}", "use: postgres or redis")
    api = client()
    body = {"kind": kind, "version": version}
    result = api.request("POST", f"{env_path(app_name, env)}/addons", json=body)
    for a in result["addons"]:
        console.print(f"-----> {_label(a)} attached as {a['var']}")
    if result["deployment"] is not None:
        follow(api, result["deployment"])


@addons_cmd.command("list")
def addons_list(app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False) -> None:
    found = client().request("GET", f"{env_path(app_name, env)}/addons")
    if as_json:
        return print_json(found)
    rows = [(_label(a), a["name"], a["var"], "running" if a["running"] else "down") for a in found]
    table(("ADD-ON", "NAME", "SETS", "STATE"), rows)


def _label(addon: dict[str, str]) -> str:
    kind = "PostgreSQL" if addon["kind"] == "postgres" else "Redis"
    return f"{kind} {addon['version']}".strip()


def _url(app_name: str | None, env: str, var: str, kind: str) -> str:
    answer = client().request("GET", f"{env_path(app_name, env)}/config?reveal=true")
    url = answer["config"].get(var)
    if not url:
        raise CliError(
            f"{var} is not set: the environment has no {kind}",
            f"launchdeck addons create {kind} --env {env}",
        )
    return str(url)


@db_cmd.command("url")
def db_url(app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Print DATABASE_URL (admin tokens only)."""
    print(_url(app_name, env, "DATABASE_URL", "postgres"))


@db_cmd.command("psql")
def db_psql(app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Open psql on the environment's database (admin tokens only)."""
    _exec("psql", _url(app_name, env, "DATABASE_URL", "postgres"))


def redis_cli(app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Open redis-cli on the environment's Redis (admin tokens only)."""
    _exec("redis-cli", "-u", _url(app_name, env, "REDIS_URL", "redis"))


def _exec(program: str, *args: str) -> None:
    path = shutil.which(program)
    if path is None:
        package = "postgresql-client" if program == "psql" else "redis-tools"
        raise CliError(f"{program} is not installed here", f"apt-get install {package}")
    os.execv(path, [program, *args])


__all__ = ["addons_cmd", "db_cmd", "redis_cli"]
