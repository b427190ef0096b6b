"""`launchdeck`: Heroku-like verbs over the control plane's HTTP API."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from launchdeck.cli.client import CliError
from launchdeck.cli.commands import server
from launchdeck.cli.commands.addons import addons_cmd, db_cmd, redis_cli
from launchdeck.cli.commands.autoscale import autoscale_cmd
from launchdeck.cli.commands.canary import canary_cmd
from launchdeck.cli.commands.canary import show as show_canary
from launchdeck.cli.commands.config import config_cmd
from launchdeck.cli.commands.cron import cron_cmd
from launchdeck.cli.commands.domains import domains_cmd
from launchdeck.cli.commands.errors import errors_cmd, incidents_cmd
from launchdeck.cli.commands.flags import flags_cmd
from launchdeck.cli.commands.git import git_cmd
from launchdeck.cli.commands.metrics import alerts, metrics, top
from launchdeck.cli.commands.run import run
from launchdeck.cli.commands.tokens import audit, tokens_cmd
from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.deployments import follow as follow_deployment
from launchdeck.cli.output import ago, console, err, log_style, print_json, table
from launchdeck.cli.source import default_app, git_sha, pack, parse_since

app = typer.Typer(
    help="Push-to-deploy on infrastructure you own.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
apps_cmd = typer.Typer(help="Create, list and destroy apps.", no_args_is_help=True)
server_cmd = typer.Typer(help="The control plane daemon.", no_args_is_help=True)
app.add_typer(apps_cmd, name="apps")
app.add_typer(config_cmd, name="config")
app.add_typer(server_cmd, name="server")
app.add_typer(tokens_cmd, name="tokens")
app.add_typer(git_cmd, name="git")
app.add_typer(addons_cmd, name="addons")
app.add_typer(db_cmd, name="db")
app.add_typer(domains_cmd, name="domains")
app.add_typer(autoscale_cmd, name="autoscale")
app.add_typer(canary_cmd, name="canary")
app.add_typer(flags_cmd, name="flags")
app.add_typer(errors_cmd, name="errors")
app.add_typer(incidents_cmd, name="incidents")
app.command(context_settings={"ignore_unknown_options": True})(run)
app.add_typer(cron_cmd, name="cron")


def follow(deployment: dict[str, Any]) -> None:
    """Stream a deployment's events; exit non-zero unless it succeeded."""
    follow_deployment(client(), deployment)


def print_plan(preview: dict[str, Any]) -> None:
    """A dry run: the steps, in the order the executor would take them."""
    console.print(f"-----> Plan for {preview['release']} (dry run: nothing changed)")
    for step in preview["steps"] or ["nothing to do"]:
        console.print(f"       {step}")


# -- server ------------------------------------------------------------------------------------


@server_cmd.command("start")
def server_start(foreground: Annotated[bool, typer.Option("--foreground")] = False) -> None:
    """Start the control plane (daemonized unless --foreground)."""
    console.print(server.start(foreground=foreground))


@server_cmd.command("stop")
def server_stop(
    everything: Annotated[
        bool, typer.Option("--all", help="Also stop every app and HAProxy.")
    ] = False,
) -> None:
    """Stop the control plane; apps keep serving unless --all."""
    console.print(server.stop(everything=everything))


@server_cmd.command("status")
def server_status(as_json: JsonOpt = False) -> None:
    """Is the control plane running, and where."""
    info = server.status()
    if as_json:
        print_json(info)
    elif not info["running"]:
        console.print(f"control plane is not running (home {info['home']})")
    else:
        router = info["router"]
        console.print(f"control plane running (pid {info['pid']}), API {info['api_url']}")
        console.print(
            f"router: {'running' if router['running'] else 'down'} on port {info['http_port']}"
        )
        console.print(f"apps: {info['apps']}, instances: {info['instances']}")
        console.print(f"resource limits: {info['resource_limits']}")
        console.print(f"isolation: {info.get('isolation', '-')}")


# -- apps ----------------------------------------------------------------------------------------


@apps_cmd.command("create")
def apps_create(name: str) -> None:
    """Create an app with staging and production environments."""
    created = client().request("POST", "/v1/apps", json={"name": name})
    console.print(f"created {name} with environments: {', '.join(created['envs'])}")


@apps_cmd.command("list")
def apps_list(as_json: JsonOpt = False) -> None:
    apps = client().request("GET", "/v1/apps")
    if as_json:
        return print_json(apps)
    rows = [
        (a["name"], env, e["release"] or "-", e["instances"], e["url"])
        for a in apps
        for env, e in a["envs"].items()
    ]
    table(("APP", "ENV", "RELEASE", "INSTANCES", "URL"), rows)


@apps_cmd.command("destroy")
def apps_destroy(name: str, confirm: Annotated[str, typer.Option("--confirm")] = "") -> None:
    """Stop and remove everything of an app (needs --confirm NAME)."""
    result = client().request("DELETE", f"/v1/apps/{name}", params={"confirm": confirm})
    console.print(f"destroyed {name} ({result['instances_stopped']} instances stopped)")


# -- deploys -------------------------------------------------------------------------------------


@app.command()
def deploy(
    path: Annotated[Path, typer.Argument(help="App directory.")] = Path("."),
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    detach: Annotated[bool, typer.Option("--detach", help="Do not wait.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; change nothing.")
    ] = False,
    canary: Annotated[
        bool,
        typer.Option("--canary", help="Roll out as a canary, whatever [deploy] says."),
    ] = False,
) -> None:
    """Build PATH and roll it out; exits non-zero when the deploy fails or rolls back."""
    if not path.is_dir():
        raise CliError(
            f"{path}: not a directory", "pass the app's directory: launchdeck deploy ./app"
        )
    base = env_path(app_name or default_app(path), env)
    console.print(f"-----> Uploading {path.resolve()}")
    gzip = {"Content-Type": "application/gzip"}
    if dry_run:
        preview = client().request("POST", f"{base}/deploys/plan", content=pack(path), headers=gzip)
        return print_plan(preview)
    params = {"git_sha": sha} if (sha := git_sha(path)) else {}
    if canary:
        params["canary"] = "true"
    dep = client().request(
        "POST", f"{base}/deploys", content=pack(path), params=params, headers=gzip
    )
    if detach:
        return console.print(f"deployment {dep['id']} started")
    follow(dep)


@app.command()
def releases(app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False) -> None:
    """Release history, newest first."""
    rels = client().request("GET", f"{env_path(app_name, env)}/releases")
    if as_json:
        return print_json(rels)
    table(
        ("", "RELEASE", "BUILD", "DESCRIPTION", "CREATED"),
        [
            (
                "*" if r["current"] else "",
                r["name"],
                r["build"][:19],
                r["description"],
                ago(r["created_at"]),
            )
            for r in rels
        ],
    )


@app.command()
def rollback(
    version: Annotated[
        str | None, typer.Argument(help="vN (default: the previous release)")
    ] = None,
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
) -> None:
    """Roll back to a previous release (a new release with its build and config)."""
    number = None
    if version is not None:
        digits = version.lstrip("v")
        if not digits.isdigit():
            raise CliError(
                f"release {version!r} is not a release number", "e.g. launchdeck rollback v3"
            )
        number = int(digits)
    follow(
        client().request("POST", f"{env_path(app_name, env)}/rollback", json={"version": number})
    )


@app.command()
def promote(
    app_name: AppOpt = None,
    source: Annotated[str, typer.Option("--from", help="Environment whose build ships.")] = (
        "staging"
    ),
    target: Annotated[str, typer.Option("--to", help="Environment it ships to.")] = "production",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Skip the preview's prompt.")] = False,
) -> None:
    """Deploy the exact build --from runs to --to, with --to's config and scale (no rebuild)."""
    base = env_path(app_name, target)
    if not yes:
        preview = client().request(
            "GET",
            base.rsplit("/envs/", 1)[0] + "/promotion",
            params={"from": source, "to": target},
        )
        _show_promotion(preview)
        if not typer.confirm(f"Promote to {target}?", default=False):
            raise CliError("promotion cancelled", code=1)
    follow(client().request("POST", f"{base}/promotions", json={"from": source}))


def _show_promotion(p: dict[str, Any]) -> None:
    src, now = p["source"], p["target"]
    current = f"{now['release']} ({now['build'][:19]})" if now["release"] else "no release yet"
    lines = [
        f"Promote {p['app']} {p['from']} {src['release']} ({src['build'][:19]}) to {p['to']}",
        f"  {p['to']} runs: {current}"
        + (" - the same build" if now["build"] == src["build"] else ""),
    ]
    labels = {"added": f"only in {p['to']}", "removed": f"only in {p['from']}"}
    changes = [
        f"{labels.get(kind, 'different')}: {', '.join(keys)}"
        for kind, keys in p["config"].items()
        if keys
    ]
    lines.append("  config keys (names only): " + ("; ".join(changes) or "no difference"))
    lines.append(
        "  scale: "
        + ", ".join(
            f"{name}={s['new']}"
            + (f" (now {s['current']})" if s["current"] not in (None, s["new"]) else "")
            for name, s in p["scale"].items()
        )
    )
    if p["release_command"]:
        lines.append(f"  release command runs first in {p['to']}: {p['release_command']}")
    for line in lines:
        console.print(line, markup=False)


@app.command()
def ps(app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False) -> None:
    """Running instances, one-off runs still going, and the messages waiting in each queue a
    service declares."""
    base = env_path(app_name, env)
    insts = client().request("GET", f"{base}/instances")
    runs = client().request("GET", f"{base}/runs", params={"running": "true"})
    queues = {q["service"]: q for q in client().request("GET", f"{base}/queues")}
    for inst in insts:
        if inst["service"] in queues:
            queue = queues[inst["service"]]
            inst.update(queue=queue["queue"], queue_depth=queue["depth"])
    insts += [
        {"id": r["id"], "service": "run", "release": r["release"], "state": r["state"],
         "health": "-", "port": None, "pid": r["pid"], "started_at": r["started_at"],
         "command": r["command"]}
        for r in runs
    ]  # fmt: skip
    if as_json:
        return print_json(insts)
    table(
        ("INSTANCE", "SERVICE", "RELEASE", "STATE", "HEALTH", "PORT", "PID", "STARTED"),
        [
            (
                i["id"],
                i["service"],
                i["release"],
                i["state"],
                i["health"],
                i["port"],
                i["pid"],
                ago(i["started_at"]),
            )
            for i in insts
        ],
    )
    for q in queues.values():
        depth = "no answer from Redis" if q["depth"] is None else f"{q['depth']} waiting"
        console.print(f"{q['service']} queue {q['queue']}: {depth}", markup=False)


@app.command()
def scale(
    counts: Annotated[list[str], typer.Argument(help="service=count ...")],
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; change nothing.")
    ] = False,
) -> None:
    """Set instance counts, e.g. `launchdeck scale web=3 worker=1`."""
    parsed: dict[str, int] = {}
    for item in counts:
        name, _, count = item.partition("=")
        if not name or not count.lstrip("-").isdigit():
            raise CliError(
                f"scale: {item!r} should be SERVICE=COUNT", "e.g. launchdeck scale web=3"
            )
        parsed[name] = int(count)
    base = env_path(app_name, env)
    if dry_run:
        return print_plan(client().request("POST", f"{base}/scale/plan", json={"counts": parsed}))
    follow(client().request("POST", f"{base}/scale", json={"counts": parsed}))


@app.command()
def restart(
    service: Annotated[str | None, typer.Argument()] = None,
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
) -> None:
    """Replace every instance (or one service's) with fresh ones, rolling."""
    follow(
        client().request("POST", f"{env_path(app_name, env)}/restart", json={"service": service})
    )


@app.command()
def url(app_name: AppOpt = None, env: EnvOpt = "staging") -> None:
    """Print the app's URL."""
    sys.stdout.write(client().request("GET", env_path(app_name, env))["url"] + "\n")


@app.command()
def status(app_name: AppOpt = None, env: EnvOpt = "staging", as_json: JsonOpt = False) -> None:
    """Release, build, formation, instances and the last deployment; then every environment."""
    api = client()
    info = api.request("GET", env_path(app_name, env))
    info["environments"] = api.request("GET", f"/v1/apps/{info['app']}")["envs"]
    if as_json:
        return print_json(info)
    console.print(f"[bold]{info['app']}[/] ({info['env']}) {info['url']}")
    console.print(f"release: {info['release'] or '-'}  build: {info['build'] or '-'}")
    console.print("formation: " + ", ".join(f"{k}={v}" for k, v in info["formation"].items()))
    console.print(f"router: {info['router']}  resource limits: {info['resource_limits']}")
    console.print(f"isolation: {info.get('isolation', '-')}")
    last = info["last_deployment"]
    if last:
        console.print(
            f"last deployment: {last['kind']} {last['state']} {ago(last['created_at'])}"
            + (f" - {last['reason']}" if last["reason"] else ""),
            markup=False,
        )
    if last and last.get("canary") and last["state"] == "rolling":
        show_canary(api.request("GET", f"{env_path(app_name, env)}/canary")["status"])
    healthy = sum(1 for i in info["instances"] if i["state"] == "running")
    console.print(f"instances: {healthy}/{len(info['instances'])} running\n")
    rows = [
        (
            name,
            e["release"] or "-",
            (e["build"] or "-")[:19],
            f"{e['healthy']}/{e['instances']}",
            e["last_deployment"] or "-",
        )
        for name, e in sorted(info["environments"].items())
    ]
    table(("ENV", "RELEASE", "BUILD", "HEALTHY", "LAST DEPLOYMENT"), rows)


@app.command()
def logs(
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    tail: Annotated[bool, typer.Option("--follow", "-f")] = False,
    since: Annotated[str | None, typer.Option("--since", help="e.g. 10m, 1h")] = None,
    grep: Annotated[str | None, typer.Option("--grep", help="Regular expression.")] = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Instance logs, tagged with service, instance and release."""
    params: dict[str, Any] = {"follow": tail}
    if since:
        params["since"] = time.time() - parse_since(since)
    if grep:
        params["grep"] = grep
    if service:
        params["service"] = service
    for entry in client().stream(f"{env_path(app_name, env)}/logs", params):
        if as_json:
            sys.stdout.write(json.dumps(entry) + "\n")
            continue
        stamp = time.strftime("%H:%M:%S", time.localtime(float(entry["ts"])))
        console.print(f"[dim]{stamp}[/] [cyan]{entry['instance']}[/] ", end="")
        console.print(entry["line"], style=log_style(entry["line"]), markup=False)


app.command()(metrics)
app.command()(top)
app.command()(alerts)
app.command("redis-cli")(redis_cli)  # registered last: listed after the Heroku-like verbs
app.command()(audit)


def main() -> None:
    try:
        app()
    except CliError as exc:
        err.print(f"error: {exc.message}", style="bold red", markup=False)
        if exc.fix:
            err.print(f"fix: {exc.fix}", markup=False)
        sys.exit(exc.code)
