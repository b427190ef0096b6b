"""`launchdeck errors [show|resolve|ignore|reopen|dsn]` and `launchdeck incidents [resolve]`: the
error groups the environment's SDKs reported, their triage, and the incidents P0 and P1 groups
opened. Titles and messages come from apps: printed as plain text, never read as markup."""

from __future__ import annotations

import sys
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.text import Text

from launchdeck.cli.commands.flags import plain_table, say, where
from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.output import ago, console, print_json
from launchdeck.cli.source import parse_since

errors_cmd = typer.Typer(help="Error groups of an environment, most events first.")
incidents_cmd = typer.Typer(help="Incidents: P0 and P1 error groups, paged once each.")
PRIORITY_STYLES = {"P0": "bold red", "P1": "yellow", "P2": "dim"}
GroupArg = Annotated[str, typer.Argument(help="The group's key, or a prefix of 4+ characters.")]


@errors_cmd.callback(invoke_without_command=True)
def errors_list(
    ctx: typer.Context,
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    since: Annotated[str, typer.Option("--since", help="e.g. 1h, 24h, 7d")] = "24h",
    limit: Annotated[int, typer.Option("--limit", "-n", help="Groups shown.")] = 5,
    everything: Annotated[
        bool, typer.Option("--all", help="Resolved and ignored groups too.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The top error groups of the window: priority, events, users, the release that brought
    each."""
    if ctx.invoked_subcommand is not None:
        return _refuse_options_before(ctx)
    base = env_path(app_name, env)
    params = {"since": int(parse_since(since)), "limit": limit, "everything": everything}
    found = client().request("GET", f"{base}/errors", params=params)
    if as_json:
        return print_json(found)
    groups = found["groups"]
    if not groups:
        kind = "error groups" if everything else "unresolved error groups"
        return say(f"no {kind} in {where(base)} in the last {since}")
    say(f"Top {len(groups)} error groups of {where(base)} in the last {since}")
    plain_table(
        ("KEY", "PRIORITY", "EVENTS", "USERS", "FIRST SEEN IN", "LAST SEEN", "TITLE"),
        [_group_row(g) for g in groups],
    )
    app = where(base).split("/")[0]
    hint = f"resolve: launchdeck errors resolve KEY --app {app} --env {env}"
    console.print(hint, style="dim", markup=False)


@errors_cmd.command("show")
def errors_show(
    group: GroupArg, app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False
) -> None:
    """One group: its triage and the last event's message, exception, frames and path."""
    found = client().request("GET", _group_path(app_name, env, group))
    if as_json:
        return print_json(found)
    console.print(Text(found["title"], style="bold"))
    if found["culprit"]:
        say(f"  in {found['culprit']}")
    reason = f" - {found['reason']}" if found["reason"] else ""
    console.print(Text.assemble("priority: ", _priority(found["priority"]), reason))
    say(f"status: {found['status']}" + (" (a regression)" if found["regressed"] else ""))
    say(f"key: {found['key']}")
    day = f"{found['events']} in the last 24h ({found['users']} users)"
    say(f"events: {day}, {found['count']} in all")
    say(f"first seen: {ago(found['first_seen'])} in {found['first_release'] or '-'}")
    say(f"last seen: {ago(found['last_seen'])} in {found['last_release'] or '-'}")
    _show_sample(found["sample"])


@errors_cmd.command("resolve")
def errors_resolve(group: GroupArg, app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Mark a group fixed: seen again in a later release, it reopens as a regression."""
    _set_status(group, app_name, env, "resolve", "resolved")


@errors_cmd.command("ignore")
def errors_ignore(group: GroupArg, app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Still counted, never paged; listed only with `errors --all`."""
    _set_status(group, app_name, env, "ignore", "ignored")


@errors_cmd.command("reopen")
def errors_reopen(group: GroupArg, app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Back to unresolved."""
    _set_status(group, app_name, env, "reopen", "reopened")


@errors_cmd.command("dsn")
def errors_dsn(app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """The environment's SENTRY_DSN, for apps outside launchdeck (a frontend, say)."""
    found = client().request("GET", f"{env_path(app_name, env)}/errors", params={"limit": 1})
    sys.stdout.write(found["dsn"] + "\n")


@incidents_cmd.callback(invoke_without_command=True)
def incidents_list(
    ctx: typer.Context,
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    everything: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Open incidents: each P0 or P1 group paged, the release that brought it and why."""
    if ctx.invoked_subcommand is not None:
        return _refuse_options_before(ctx)
    base = env_path(app_name, env)
    found = client().request("GET", f"{base}/incidents", params={"everything": everything})
    if as_json:
        return print_json(found)
    if not found:
        return say(f"no {'' if everything else 'open '}incidents in {where(base)}")
    columns = ["ID", "PRIORITY", "OPENED", "RELEASE", "TITLE", "REASON"]
    plain_table(
        columns + (["RESOLVED"] if everything else []),
        [_incident_row(i, everything) for i in found],
    )


@incidents_cmd.command("resolve")
def incidents_resolve(
    incident: Annotated[int, typer.Argument(help="The incident's ID.")],
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
) -> None:
    """Close an incident (its group stays as it is: `errors resolve` for that)."""
    client().request("POST", f"{env_path(app_name, env)}/incidents/{incident}/resolve")
    say(f"-----> incident #{incident} resolved")


def _set_status(group: str, app_name: str | None, env: str, action: str, done: str) -> None:
    found = client().request("POST", f"{_group_path(app_name, env, group)}/{action}")
    say(f"-----> {found['key'][:8]} {done}: {found['title']}")


def _group_path(app_name: str | None, env: str, group: str) -> str:
    return f"{env_path(app_name, env)}/errors/{quote(group, safe='')}"


def _refuse_options_before(ctx: typer.Context) -> None:
    """`errors --env production resolve K` would resolve K in staging: the subcommand has its own
    --app and --env, so options given before it are refused rather than dropped."""
    given = [p.opts[0] for p in ctx.command.params if ctx.params.get(p.name or "") != p.default]
    if given:
        sub = ctx.invoked_subcommand
        ctx.fail(
            f"{', '.join(given)} given before {sub!r}: put them after it, e.g. "
            f"launchdeck {ctx.info_name} {sub} ... {given[0]} ..."
        )


def _group_row(g: dict[str, Any]) -> tuple[str | Text, ...]:
    title = Text(g["title"])
    if g["culprit"]:
        title.append(f"  {g['culprit']}", style="dim")
    return (
        g["key"][:8],
        _priority(g["priority"]),
        str(g["events"]),
        str(g["users"]),
        g["first_release"] or "-",
        ago(g["last_seen"]),
        title,
    )


def _incident_row(i: dict[str, Any], everything: bool) -> tuple[str | Text, ...]:
    row: tuple[str | Text, ...] = (
        str(i["id"]),
        _priority(i["priority"]),
        ago(i["opened_at"]),
        i["release"] or "-",
        i["title"],
        i["reason"],
    )
    return row + ((ago(i["resolved_at"]) or "-",) if everything else ())


def _priority(priority: str) -> Text:
    return Text(priority, style=PRIORITY_STYLES.get(priority, ""))


def _show_sample(sample: dict[str, Any]) -> None:
    kind, value = (sample.get("exception") or [None, None])[:2]
    say("last event:")
    if sample.get("message"):
        say(f"  message: {sample['message']}")
    if kind or value:
        say(f"  exception: {kind or '?'}: {value or ''}")
    if sample.get("path"):
        say(f"  path: {sample['path']}")
    frames = sample.get("frames") or []
    if frames:
        say("  frames (most recent call last):")
        for frame in frames:
            say(f"    {frame}")
