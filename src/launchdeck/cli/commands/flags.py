"""`launchdeck flags create|set|on|off|list|show|delete|promote`: an environment's feature flags.

The control plane parses and checks what is sent (a rollout of `10%`, each rule): the CLI passes
the user's text as typed, so the server's message names it. Flag text (rules such as
`plan in [pro, team]`) is printed as plain text, never read as rich markup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table
from rich.text import Text

from launchdeck.cli.client import CliError
from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.output import ago, console, print_json

flags_cmd = typer.Typer(help="Feature flags of an environment.", no_args_is_help=True)
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
CHANGES = "--rollout, --rule, --clear-rules, --allow, --disallow, --on/--off or --description"


@flags_cmd.command("create")
def flags_create(
    name: str,
    description: Annotated[str, typer.Option("--description", help="What it gates.")] = "",
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
) -> None:
    """Create a flag; it ships dark (off) until `flags set NAME --on`."""
    base = env_path(app_name, env)
    body = {"name": name, "description": description}
    created = client().request("POST", f"{base}/flags", json=body)
    say(
        f"-----> {created['name']} created in {where(base)}: {created['summary']} (ships dark; "
        f"turn it on with: launchdeck flags set {created['name']} --rollout 10% --on)"
    )


@flags_cmd.command("set")
def flags_set(
    ctx: typer.Context,
    name: str,
    rollout: Annotated[
        str | None, typer.Option("--rollout", help="Percent of users, e.g. 10%.")
    ] = None,
    rules: Annotated[
        list[str] | None,
        typer.Option("--rule", help="e.g. 'app_version >= latest'; replaces the flag's rules."),
    ] = None,
    clear_rules: Annotated[bool, typer.Option("--clear-rules", help="Remove every rule.")] = False,
    allow: Annotated[
        list[str] | None, typer.Option("--allow", help="Always on for e.g. user:42.")
    ] = None,
    disallow: Annotated[
        list[str] | None, typer.Option("--disallow", help="Take an --allow entry back.")
    ] = None,
    enabled: Annotated[bool | None, typer.Option("--on/--off", help="The kill switch.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
) -> None:
    """Change a flag: only the fields given change."""
    if rules and clear_rules:
        ctx.fail("--rule and --clear-rules contradict each other: give one")
    body: dict[str, Any] = {}
    if enabled is not None:
        body["enabled"] = enabled
    if rollout is not None:
        body["rollout"] = rollout
    if rules or clear_rules:
        body["rules"] = [] if clear_rules else rules
    if allow:
        body["allow"] = allow
    if disallow:
        body["disallow"] = disallow
    if description is not None:
        body["description"] = description
    if not body:
        ctx.fail(f"nothing to change: give {CHANGES}")
    _change(name, app_name, env, body)


@flags_cmd.command("on")
def flags_on(name: str, app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Turn a flag on (for its rollout, rules and allow list)."""
    _change(name, app_name, env, {"enabled": True})


@flags_cmd.command("off")
def flags_off(name: str, app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """The kill switch: off for everyone, whatever its rollout, rules and allow list."""
    _change(name, app_name, env, {"enabled": False})
    console.print("       running apps stop serving it within 2 s; no deploy")


@flags_cmd.command("list")
def flags_list(app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False) -> None:
    """Every flag: its state and who changed it last; the set's version."""
    base = env_path(app_name, env)
    found = client().request("GET", f"{base}/flags")
    if as_json:
        return print_json(found)
    if found["flags"]:
        plain_table(("NAME", "STATE", "UPDATED"), [_row(f) for f in found["flags"]])
    else:
        say(f"no flags in {where(base)} yet: launchdeck flags create NAME")
    latest = found["latest_app_version"] or "none reported yet"
    say(f"flag set version {found['version']}; latest app version: {latest}")


@flags_cmd.command("show")
def flags_show(
    name: str, app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False
) -> None:
    """Every field of a flag."""
    base = env_path(app_name, env)
    flag = client().request("GET", _flag_path(base, name))
    if as_json:
        return print_json(flag)
    say(f"{flag['name']} in {where(base)}: {flag['summary']}")
    say(f"  description: {flag['description'] or '-'}")
    say(f"  enabled: {'yes' if flag['enabled'] else 'no'}")
    say(f"  rollout: {flag['rollout']}%")
    say(f"  rules: {' and '.join(flag['rules']) or 'none (every context matches)'}")
    say(f"  allow: {', '.join(flag['allow']) or 'none'}")
    say(f"  updated: {_updated(flag)}")


@flags_cmd.command("delete")
def flags_delete(
    name: str, app_name: AppOpt = None, env: EnvOpt = "staging", yes: YesOpt = False
) -> None:
    """Delete a flag: apps evaluating it get the default their code passes."""
    base = env_path(app_name, env)
    question = f"Delete flag {name} of {where(base)}? Apps then get their code's default"
    if not yes and not typer.confirm(question, default=False):
        raise CliError("delete cancelled", code=1)
    client().request("DELETE", _flag_path(base, name))
    say(f"-----> {name} deleted from {where(base)}")


@flags_cmd.command("promote")
def flags_promote(
    names: Annotated[
        list[str] | None, typer.Argument(help="Flags to copy (default: every one).")
    ] = None,
    app_name: AppOpt = None,
    source: Annotated[str, typer.Option("--from", help="Environment to copy from.")] = "staging",
    target: Annotated[str, typer.Option("--to", help="Environment to copy to.")] = "production",
    yes: YesOpt = False,
) -> None:
    """Copy flags as they are in --from to --to (replacing --to's flags of the same names)."""
    base, origin = env_path(app_name, target), env_path(app_name, source)
    if not yes:
        _preview(names or [], origin, base, source)
        if not typer.confirm(f"Copy to {where(base)}?", default=False):
            raise CliError("promotion cancelled", code=1)
    body = {"from": source, "names": names or []}
    copied = client().request("POST", f"{base}/flags/promotions", json=body)
    if not copied:
        return say(f"-----> {where(origin)} has no flags: nothing copied")
    say(f"-----> copied {len(copied)} flag(s) to {where(base)}:")
    for flag in copied:
        say(f"       {flag['name']}: {flag['summary']}")


def _preview(names: Sequence[str], origin: str, base: str, source: str) -> None:
    """What a promotion copies: each flag as --from has it, and as --to has it now."""
    api = client()
    there = {f["name"]: f for f in api.request("GET", f"{origin}/flags")["flags"]}
    here = {f["name"]: f for f in api.request("GET", f"{base}/flags")["flags"]}
    missing = [n for n in names if n not in there]
    if missing:
        raise CliError(
            f"no flag {', '.join(missing)} in {where(origin)}",
            f"list them: launchdeck flags list --env {source}",
        )
    say(f"Copy from {where(origin)} to {where(base)}:")
    for name in names or sorted(there):
        now = here[name]["summary"] if name in here else "new"
        say(f"  {name}: {there[name]['summary']} (now: {now})")


def _change(name: str, app_name: str | None, env: str, body: dict[str, Any]) -> None:
    base = env_path(app_name, env)
    flag = client().request("PATCH", _flag_path(base, name), json=body)
    say(f"-----> {flag['name']} in {where(base)}: {flag['summary']}")


def _flag_path(base: str, name: str) -> str:
    return f"{base}/flags/{quote(name, safe='')}"


def _row(flag: dict[str, Any]) -> tuple[str, ...]:
    return (flag["name"], flag["summary"], _updated(flag))


def _updated(flag: dict[str, Any]) -> str:
    when = ago(flag["updated_at"]) or "-"
    return f"by {flag['updated_by']}, {when}" if flag["updated_by"] else when


def where(base: str) -> str:
    """`shop/production` of the environment path `/v1/apps/shop/envs/production`."""
    _, _, _, app, _, env = base.split("/")
    return f"{app}/{env}"


def say(line: str) -> None:
    console.print(line, markup=False)


def plain_table(columns: Sequence[str], rows: Iterable[Sequence[str | Text]]) -> None:
    """A table whose cells are plain text or `Text`, never markup."""
    t = Table(*columns, box=None, pad_edge=False, header_style="bold")
    for row in rows:
        t.add_row(*(c if isinstance(c, Text) else Text(c) for c in row))
    console.print(t)
