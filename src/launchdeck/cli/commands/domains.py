"""`launchdeck domains add|list|remove`: custom domains routed to an environment's web."""

from __future__ import annotations

from typing import Any

import typer

from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.output import console, print_json, table

domains_cmd = typer.Typer(help="Custom domains of an environment.", no_args_is_help=True)


@domains_cmd.command("add")
def domains_add(domain: str, app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Route DOMAIN to the environment (no new release)."""
    _show(client().request("POST", f"{env_path(app_name, env)}/domains", json={"domain": domain}))
    console.print(f"-----> {domain} routes to {env}")


@domains_cmd.command("list")
def domains_list(
    app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False
) -> None:
    found = client().request("GET", f"{env_path(app_name, env)}/domains")
    if as_json:
        return print_json(found)
    _show(found)


@domains_cmd.command("remove")
def domains_remove(domain: str, app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    _show(client().request("DELETE", f"{env_path(app_name, env)}/domains/{domain}"))


def _show(rows: list[dict[str, Any]]) -> None:
    table(("DOMAIN", "FROM"), [(r["domain"], r["source"]) for r in rows])
