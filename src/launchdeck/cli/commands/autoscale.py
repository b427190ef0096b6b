"""`launchdeck autoscale status|resume`: where each autoscaled service stands, and handing one a
manual `scale` paused back to the autoscaler."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.output import console, print_json, table

autoscale_cmd = typer.Typer(help="Autoscaling of an environment's services.", no_args_is_help=True)

UNITS = {"cpu": "%", "requests_per_instance": " req/s", "p95_ms": " ms", "queue_depth": " waiting"}


@autoscale_cmd.command("status")
def autoscale_status(
    app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False
) -> None:
    """Each autoscaled service: its bounds, its figures against their targets, the count it runs
    and wants; then the last decisions, with the figures that drove them."""
    found = client().request("GET", f"{env_path(app_name, env)}/autoscale")
    if as_json:
        return print_json(found)
    if not found["services"]:
        console.print(f"no service of {env} autoscales: add [services.<name>.autoscale]")
        return
    table(
        ("SERVICE", "MIN", "MAX", "FIGURES (NOW / TARGET)", "RUNS", "WANTS", "STATE"),
        [_service_row(s) for s in found["services"]],
    )
    if found["decisions"]:
        console.print()
        table(
            ("WHEN", "SERVICE", "DECISION", "COUNT", "WHY"),
            [_decision_row(d) for d in found["decisions"][:10]],
        )


@autoscale_cmd.command("resume")
def autoscale_resume(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to resume (default: every one).")
    ] = None,
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
) -> None:
    """Hand services back to the autoscaler after a manual `scale` paused them."""
    body = {"services": services or []}
    done = client().request("POST", f"{env_path(app_name, env)}/autoscale/resume", json=body)
    resumed = done["resumed"]
    if resumed:
        console.print(f"-----> autoscaling resumed for {', '.join(resumed)}")
    else:
        console.print("-----> nothing was paused: autoscaling runs as it was")


def _service_row(s: dict[str, Any]) -> tuple[str, ...]:
    figures = ", ".join(
        f"{t['metric']} {_figure(t['value'])} / {t['target']:g}{UNITS.get(t['metric'], '')}"
        for t in s["targets"]
    )
    state = "paused (manual scale)" if s["paused"] else "autoscaling"
    if s["capped"]:
        state += f"; capped: {s['capped']} more do not fit in the host's free memory"
    wanted = "-" if s["wanted"] is None else str(s["wanted"])
    return (s["service"], str(s["min"]), str(s["max"]), figures, str(s["desired"]), wanted, state)


def _decision_row(d: dict[str, Any]) -> tuple[str, ...]:
    when = time.strftime("%H:%M:%S", time.localtime(d["at"]))
    count = f"{d['current']} -> {d['desired']}"
    return (when, d["service"], d["kind"], count, d["reason"])


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"
