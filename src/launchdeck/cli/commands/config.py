"""`launchdeck config set|unset|get|list`: config vars; a change makes a new release and a
rolling restart. Secret values are masked unless revealed (admin tokens only)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from launchdeck.cli.client import CliError
from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.deployments import follow
from launchdeck.cli.output import console, err, print_json, table

config_cmd = typer.Typer(help="Config vars (a change makes a new release).", no_args_is_help=True)


# -- config --------------------------------------------------------------------------------------


@config_cmd.command("set")
def config_set(
    pairs: list[str],
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    secret: Annotated[
        bool, typer.Option("--secret", help="Encrypt at rest, mask in listings, redact from logs.")
    ] = False,
) -> None:
    """Set KEY=VALUE pairs (a new release and a rolling restart)."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(
                f"config set: {pair!r} should be KEY=VALUE", "e.g. launchdeck config set DEBUG=0"
            )
        values[key] = value
    _config_change(app_name, env, {"set": values, "secret": secret})


@config_cmd.command("unset")
def config_unset(keys: list[str], app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Remove keys."""
    _config_change(app_name, env, {"unset": keys})


def _config_change(app_name: str | None, env: str, body: dict[str, Any]) -> None:
    result = client().request("PATCH", f"{env_path(app_name, env)}/config", json=body)
    if result["deployment"] is None:
        console.print("config saved; it applies to the first deploy")
        return
    follow(client(), result["deployment"])


@config_cmd.command("get")
def config_get(
    key: str,
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show a secret's value (admin tokens only).")
    ] = False,
) -> None:
    """Print one value; a secret prints masked unless --reveal."""
    path = f"{env_path(app_name, env)}/config" + ("?reveal=true" if reveal else "")
    answer = client().request("GET", path)
    if key not in answer["config"]:
        raise CliError(f"config var {key!r} is not set", "see: launchdeck config list")
    sys.stdout.write(answer["config"][key] + "\n")
    if key in answer["secrets"] and not reveal:
        err.print(f"{key} is a secret: add --reveal to show it (admin tokens only)")


@config_cmd.command("list")
def config_list(app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False) -> None:
    """Every config var; secret values are masked."""
    answer = client().request("GET", f"{env_path(app_name, env)}/config")
    if as_json:
        return print_json(answer["config"])
    secret = set(answer["secrets"])
    rows = [(k, v, "secret" if k in secret else "") for k, v in answer["config"].items()]
    table(("KEY", "VALUE", ""), rows)
