"""`launchdeck db backups|backup|verify|restore|prune|pull`: the environment's PostgreSQL backups
and what can be done with them; `db backups target set|show|unset`: the host's backup target,
the one bucket copies of every cluster go to (admin only). (`db url` and `db psql` are in
cli/addons.py.)

Production's database is reached with admin tokens only; a restore of production asks first
unless --yes. The target's secret access key is read from stdin, never from argv (which any
user of the host sees in `ps`)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, Any, TextIO

import typer
from rich.table import Table
from rich.text import Text

from launchdeck.cli.client import CliError
from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.deployments import follow
from launchdeck.cli.output import console, print_json, table

db_cmd = typer.Typer(
    help="The environment's PostgreSQL database: backups, restore, pull.", no_args_is_help=True
)
CONFIRM_ENVS = ("production",)
STATUS_STYLES = {"verified": "green", "failed": "bold red", "taken": "yellow"}
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
TARGET_PATH = "/v1/settings/backup-target"
SET_TARGET = "launchdeck db backups target set"

backups_cmd = typer.Typer()
target_cmd = typer.Typer(
    help="Where copies of every backup on this host go: one S3 bucket (admin only).",
    no_args_is_help=True,
)
db_cmd.add_typer(backups_cmd, name="backups")
backups_cmd.add_typer(target_cmd, name="target")


@backups_cmd.callback(invoke_without_command=True)
def db_backups(
    ctx: typer.Context, app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False
) -> None:
    """List base backups: when, how big, and whether restoring them was proven (`db backups
    target` sets where copies go)."""
    if ctx.invoked_subcommand is not None:  # `db backups target ...`
        return
    found = client().request("GET", f"{env_path(app_name, env)}/db/backups")
    if as_json:
        return print_json(found)
    backups = found["backups"]
    clusters = {b["cluster"] for b in backups}
    t = Table(box=None, pad_edge=False, header_style="bold")
    copies = any(b.get("copied_to") or b.get("copy_error") for b in backups)
    columns = ["ID", "TIME", "SIZE", "ROWS", "STATUS"] + (["COPY"] if copies else [])
    columns += ["CLUSTER"] if len(clusters) > 1 else []
    for column in columns:
        t.add_column(column)
    for b in backups:
        row = [b["id"], b["time"], human_size(b["size_bytes"]), _rows(b), status_text(b)]
        row += [copy_text(b)] if copies else []
        t.add_row(*row, *([b["cluster"]] if len(clusters) > 1 else []))
    if backups:
        console.print(t)
    window = found["window"]
    if window:
        console.print(f"restorable: {window['earliest']} to {window['latest']} (now)")
    else:
        console.print("nothing to restore from yet; take a backup: launchdeck db backup")


@target_cmd.command("set")
def target_set(
    bucket: Annotated[str, typer.Option("--bucket", help="The bucket; it must exist already.")],
    prefix: Annotated[
        str, typer.Option("--prefix", help="Object keys start with this, e.g. launchdeck/.")
    ] = "",
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", help="An S3-compatible store's URL (MinIO, R2); default AWS."),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="The bucket's region.")] = None,
    access_key_id: Annotated[
        str | None,
        typer.Option("--access-key-id", help="Sign with this key instead of the daemon's own."),
    ] = None,
    secret_stdin: Annotated[
        bool,
        typer.Option(
            "--secret-access-key-stdin",
            help="Read the key's secret from stdin (never from argv: argv shows in ps).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy every verified backup (and the WAL archive) of every cluster to this bucket, under
    <prefix><cluster>/. Replaces the whole target: without --access-key-id, the control plane's
    own AWS credentials sign the uploads."""
    if (access_key_id is not None) != secret_stdin:
        raise CliError(
            "--access-key-id and --secret-access-key-stdin go together",
            f"e.g. {SET_TARGET} --bucket {bucket} --access-key-id ID --secret-access-key-stdin "
            "< secret.txt; or neither, to use the control plane's own AWS credentials",
        )
    body: dict[str, Any] = {"bucket": bucket, "prefix": prefix, "endpoint": endpoint,
                            "region": region}  # fmt: skip
    if access_key_id is not None:
        body |= {"access_key_id": access_key_id, "secret_access_key": read_secret(sys.stdin)}
    shown = client().request("PUT", TARGET_PATH, json=body)
    if as_json:
        return print_json(shown)
    console.print(
        f"-----> every verified backup is copied to {shown['url']}<cluster>/", markup=False
    )
    show_target(shown)


def read_secret(stream: TextIO) -> str:
    """One secret from stdin: typed without echo at a terminal, else piped (one line)."""
    if stream.isatty():
        secret = getpass.getpass("secret access key: ")
    else:
        secret = stream.readline().rstrip("\r\n")
    if not secret:
        raise CliError(
            "no secret access key on stdin",
            f"pipe it: {SET_TARGET} ... --secret-access-key-stdin < secret.txt",
        )
    return secret


@target_cmd.command("show")
def target_show(as_json: JsonOpt = False) -> None:
    """Where backups are copied, and with which credentials (never the secret)."""
    found = client().request("GET", TARGET_PATH)
    if as_json:
        return print_json(found)
    show_target(found)


@target_cmd.command("unset")
def target_unset(as_json: JsonOpt = False) -> None:
    """Stop copying backups off this host (copies already made stay in the bucket)."""
    result = client().request("DELETE", TARGET_PATH)
    if as_json:
        return print_json(result)
    if result["removed"]:
        console.print("-----> backup target removed: backups stay on this host only")
    else:
        console.print("no backup target was set: backups stay on this host only")


def show_target(found: dict[str, Any]) -> None:
    if not found["configured"]:
        console.print("no backup target: backups stay on this host only")
        console.print(f"set one (admin): {SET_TARGET} --bucket NAME", markup=False)
        return
    credentials = (
        f"access key {found['access_key_id']} (its secret is stored encrypted)"
        if found["credentials_set"]
        else "the control plane's own AWS credentials"
    )
    rows = [
        ("bucket", found["bucket"]),
        ("prefix", found["prefix"] or "(none)"),
        ("endpoint", found["endpoint"] or "AWS S3"),
        ("region", found["region"] or "(the control plane's AWS configuration)"),
        ("credentials", credentials),
    ]
    for name, value in rows:
        console.print(f"{name:<12} {value}", markup=False)


@db_cmd.command("backup")
def db_backup(app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False) -> None:
    """Take a base backup now and prove it by restoring it (exit 1 when that fails)."""
    if not as_json:
        console.print("-----> taking a base backup, then restoring it into a scratch cluster")
    backup = client().request("POST", f"{env_path(app_name, env)}/db/backups")
    _report(backup, as_json)


@db_cmd.command("verify")
def db_verify(
    backup_id: Annotated[str, typer.Argument(help="A backup id from `launchdeck db backups`.")],
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into a scratch cluster again and compare its row counts."""
    backup = client().request("POST", f"{env_path(app_name, env)}/db/backups/{backup_id}/verify")
    _report(backup, as_json)


def _report(backup: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(backup)
    else:
        text = Text(f"-----> backup {backup['id']} ({human_size(backup['size_bytes'])}, ")
        text.append(f"{_rows(backup)} rows): ")
        text.append_text(status_text(backup))
        if backup.get("copied_to") or backup.get("copy_error"):
            text.append("; copy: ").append_text(copy_text(backup))
        console.print(text)
    if backup["status"] == "failed":
        raise CliError(
            f"backup {backup['id']} failed verification: {backup['reason']}",
            "take a new one: launchdeck db backup; the failure was posted to the [notify] webhooks",
        )


@db_cmd.command("restore")
def db_restore(
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    to: Annotated[
        str | None, typer.Option("--to", help="A moment, e.g. 2026-11-22T10:15:00Z.")
    ] = None,
    backup: Annotated[str | None, typer.Option("--backup", help="A backup id instead.")] = None,
    yes: YesOpt = False,
) -> None:
    """Restore into a new database, check it, then switch DATABASE_URL to it (a new release and
    a rolling restart). The previous database is kept until `db prune`."""
    if (to is None) == (backup is None):
        raise CliError(
            "give either --to TIME or --backup ID" + (", not both" if to else ""),
            "e.g. launchdeck db restore --to 2026-11-22T10:15:00Z, or --backup ID from "
            "`launchdeck db backups`",
        )
    what = f"the moment {to}" if to else f"backup {backup}"
    if env in CONFIRM_ENVS and not yes:
        question = f"Restore {env}'s database to {what} and switch {env} to it?"
        if not typer.confirm(question, default=False):
            raise CliError("restore cancelled", code=1)
    console.print(f"-----> restoring {env}'s database to {what} into a new cluster")
    api = client()
    result = api.request(
        "POST", f"{env_path(app_name, env)}/db/restores", json={"to": to, "backup": backup}
    )
    tables = ", ".join(f"{t} {n} rows" for t, n in sorted(result["tables"].items())) or "no tables"
    console.print(f"-----> restored into PostgreSQL {result['cluster']} and checked: {tables}")
    console.print(f"       (the previous database stays in {result['source']} until db prune)")
    if result["deployment"] is not None:
        follow(api, result["deployment"])


@db_cmd.command("prune")
def db_prune(yes: YesOpt = False, as_json: JsonOpt = False) -> None:
    """Remove restored clusters and left-behind databases no DATABASE_URL points at."""
    api = client()
    found = api.request("GET", "/v1/db/prune")
    if not found:
        if as_json:
            return print_json([])
        console.print("nothing to prune")
        return
    if not as_json:
        _show_prunable(found)
    if not yes and not typer.confirm("Remove these for good?", default=False):
        raise CliError("prune cancelled", code=1)
    removed = api.request("POST", "/v1/db/prune")
    if as_json:
        return print_json(removed)
    console.print(f"-----> removed {len(removed)}")


def _show_prunable(items: list[dict[str, Any]]) -> None:
    rows = [
        (
            "cluster" if i["kind"] == "cluster" else "database",
            f"PostgreSQL {i['cluster']}" + (f" {i['database']}" if i["kind"] == "database" else ""),
            i["detail"],
        )
        for i in items
    ]
    table(("REMOVES", "WHAT", "WHY"), rows)


@db_cmd.command("pull")
def db_pull(
    app_name: AppOpt = None,
    source: Annotated[str, typer.Option("--from", help="Environment copied.")] = "production",
    target: Annotated[str, typer.Option("--to", help="Environment overwritten.")] = "staging",
) -> None:
    """Copy --from's database over --to's, run the manifest's scrub command on the copy, then
    swap it in and restart --to. Never into production."""
    console.print(f"-----> copying {source}'s database into a fresh one beside {target}'s")
    api = client()
    result = api.request("POST", f"{env_path(app_name, target)}/db/pulls", json={"from": source})
    if result["scrub"]:
        console.print(f"-----> scrubbed the copy: {result['scrub']}")
        for line in result["output"]:
            console.print(f"       {line}", markup=False)
    tables = ", ".join(f"{t} {n} rows" for t, n in sorted(result["tables"].items())) or "no tables"
    console.print(f"-----> {target} now has {source}'s data: {tables}")
    if result["deployment"] is not None:
        follow(api, result["deployment"])


def status_text(backup: dict[str, Any]) -> Text:
    status = backup["status"]
    shown = {"failed": f"FAILED: {backup['reason']}", "taken": "taken, not verified yet"}
    return Text(shown.get(status, status), style=STATUS_STYLES.get(status, ""))


def copy_text(backup: dict[str, Any]) -> Text:
    """Where the backup was copied to, or why copying it failed (red); '-' when not copied."""
    if backup.get("copy_error"):
        return Text(f"FAILED: {backup['copy_error']}", style="bold red")
    return Text(backup.get("copied_to") or "-", style="green" if backup.get("copied_to") else "")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover


def _rows(backup: dict[str, Any]) -> str:
    return "-" if backup["rows"] is None else str(backup["rows"])
