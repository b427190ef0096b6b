"""`launchdeck canary status|promote|abort`: a running canary's step and analysis, and ending
it early."""

from __future__ import annotations

from typing import Any

import typer

from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.output import console, print_json

canary_cmd = typer.Typer(help="A running canary deploy.", no_args_is_help=True)


@canary_cmd.command("status")
def canary_status(
    app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False
) -> None:
    """The step, the traffic split and the analysis so far."""
    found = client().request("GET", f"{env_path(app_name, env)}/canary")
    if as_json:
        return print_json(found)
    if not found["running"]:
        console.print(f"no canary runs in {env}")
        return
    show(found["status"])


@canary_cmd.command("promote")
def canary_promote(app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """End the analysis now and roll the new release out to 100%."""
    client().request("POST", f"{env_path(app_name, env)}/canary/promote")
    console.print("-----> canary promoted: the new release goes to 100%")


@canary_cmd.command("abort")
def canary_abort(app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Roll the canary back now: every request back on the serving release."""
    client().request("POST", f"{env_path(app_name, env)}/canary/abort")
    console.print("-----> canary aborted: rolling back")


def show(status: dict[str, Any] | None) -> None:
    if status is None:
        console.print("canary starting: its instances are being started and health-checked")
        return
    console.print(
        f"canary {status['release']} (deployment {status['deployment']}): step "
        f"{status['step']}/{len(status['steps'])}, {status['percent']}% of requests, "
        f"{status['elapsed']:.0f}s of {status['pause']:.0f}s; stable {status['stable']} "
        f"{100 - status['percent']}%"
    )
    for label, side in (("canary", status["canary"]), ("stable", status["serving"])):
        rate = side["error_rate"]
        p95 = side["p95_ms"]
        console.print(
            f"  {label}: {side['requests']} requests, "
            f"{'-' if rate is None else f'{rate * 100:.1f}%'} errors, "
            f"p95 {'-' if p95 is None else f'{p95:.0f} ms'}"
        )
    console.print(f"  analysis: {status['verdict']} ({status['reason']})")
