"""`launchdeck cron list|runs|trigger`: an environment's scheduled jobs and their runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.output import ago, console, print_json, table

cron_cmd = typer.Typer(
    help="Scheduled jobs ([cron.<name>], app.json's cron).", no_args_is_help=True
)


@cron_cmd.command("list")
def cron_list(app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False) -> None:
    """The jobs of the current release, with their next start and last run."""
    jobs = client().request("GET", f"{env_path(app_name, env)}/cron")
    if as_json:
        return print_json(jobs)
    table(
        ("JOB", "WHEN", "NEXT", "LAST RUN", "COMMAND"),
        [(j["name"], j["when"], _when(j["next_at"]), _last(j["last_run"]), j["command"])
         for j in jobs],
    )  # fmt: skip


@cron_cmd.command("runs")
def cron_runs(
    job: Annotated[
        str | None, typer.Argument(help="One job's runs (default: every job's).")
    ] = None,
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    as_json: JsonOpt = False,
) -> None:
    """Recorded runs, newest first: start, end, exit code, last lines with --json."""
    params = {"job": job} if job else {}
    runs = client().request("GET", f"{env_path(app_name, env)}/cron/runs", params=params)
    if as_json:
        return print_json(runs)
    table(
        ("RUN", "JOB", "STATE", "EXIT", "STARTED", "REASON"),
        [(r["id"], r["source"].removeprefix("cron:"), r["state"], r["exit_code"],
          ago(r["started_at"]) if r["started_at"] else "-", r["reason"]) for r in runs],
    )  # fmt: skip


@cron_cmd.command("trigger")
def cron_trigger(job: str, app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Run JOB now (its schedule does not move)."""
    run = client().request("POST", f"{env_path(app_name, env)}/cron/{job}/trigger")
    console.print(f"-----> {run['id']} started: {run['command']}", markup=False)


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _last(run: dict[str, Any] | None) -> str:
    if run is None:
        return "-"
    exit_code = f" ({run['exit_code']})" if run["exit_code"] is not None else ""
    return f"{run['state']}{exit_code}"
