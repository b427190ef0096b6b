"""`launchdeck tokens create|list|revoke|rotate-owner` and `launchdeck audit` (admin tokens
only)."""

from __future__ import annotations

from typing import Annotated

import typer

from launchdeck.cli.common import JsonOpt, client
from launchdeck.cli.output import ago, console, err, print_json, table

tokens_cmd = typer.Typer(help="API tokens and their roles (admin only).", no_args_is_help=True)


# -- tokens and audit --------------------------------------------------------------------------


@tokens_cmd.command("create")
def tokens_create(
    role: Annotated[str, typer.Option("--role", help="viewer | deployer | admin")],
    name: Annotated[str | None, typer.Option("--name", help="Who holds it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a token; it is shown once, store it now."""
    created = client().request("POST", "/v1/tokens", json={"role": role, "name": name})
    if as_json:
        print_json(created)
        return
    console.print(f"token {created['id']} for {created['name']} (role {created['role']}):")
    console.print(created["token"], markup=False)
    err.print("it is not shown again: give it to its holder as LAUNCHDECK_TOKEN", style="dim")


@tokens_cmd.command("list")
def tokens_list(as_json: JsonOpt = False) -> None:
    found = client().request("GET", "/v1/tokens")
    if as_json:
        print_json(found)
        return
    table(
        ["ID", "NAME", "ROLE", "CREATED", "REVOKED"],
        [
            (t["id"], t["name"], t["role"], ago(t["created_at"]), ago(t["revoked_at"]))
            for t in found
        ],
    )


@tokens_cmd.command("revoke")
def tokens_revoke(token_id: str) -> None:
    client().request("DELETE", f"/v1/tokens/{token_id}")
    console.print(f"token {token_id} revoked")


@tokens_cmd.command("rotate-owner")
def tokens_rotate_owner(as_json: JsonOpt = False) -> None:
    """Replace the owner token (the one in $LAUNCHDECK_HOME/api.json); the old one stops working."""
    rotated = client().request("POST", "/v1/tokens/owner")
    if as_json:
        print_json(rotated)
        return
    console.print("new owner token (role admin):")
    console.print(rotated["token"], markup=False)
    where = rotated.get("credentials") or "api.json"
    err.print(
        f"{where} on the server host is updated: the CLI there uses the new token from now on. "
        "The old owner token is refused; replace it wherever it was copied (LAUNCHDECK_TOKEN).",
        style="dim",
        markup=False,
    )


def audit(
    limit: Annotated[int, typer.Option("--limit", "-n")] = 50, as_json: JsonOpt = False
) -> None:
    """Who changed what, when, and the answer they got (newest first)."""
    entries = client().request("GET", "/v1/audit", params={"limit": limit})
    if as_json:
        print_json(entries)
        return
    table(
        ["WHEN", "WHO", "ROLE", "ACTION", "RESULT"],
        [(ago(e["at"]), e["who"], e["role"], e["action"], e["status"]) for e in entries],
    )
