"""`launchdeck metrics`: each service's requests/s, error rate, p95 and memory as sparklines over
a period, then the instances' figures. `launchdeck top`: the instances, live. `launchdeck
alerts`: the alerts and their notices.
`--json` prints what the API returned."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from launchdeck.cli.common import AppOpt, EnvOpt, JsonOpt, client, env_path
from launchdeck.cli.output import ago, console, print_json, table
from launchdeck.cli.source import parse_since

BARS = "▁▂▃▄▅▆▇█"

Figure = tuple[str, str, Callable[[float], str]]  # label, key, how its value reads
FIGURES: tuple[Figure, ...] = (
    ("requests/s", "requests_per_s", lambda v: f"{v:.1f}"),
    ("errors", "error_rate", lambda v: f"{v:.1%}"),
    ("p95", "p95_ms", lambda v: f"{v:.0f} ms"),
    ("cpu", "cpu", lambda v: f"{v:.0%}"),
    ("memory", "memory_bytes", lambda v: f"{v / 2**20:.0f} MiB"),
    ("queue", "queue_depth", lambda v: f"{v:.0f} waiting"),
)


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value, scaled from 0 to the largest; a gap where there is no value."""
    top = max((v for v in values if v is not None), default=0.0)
    if top <= 0:
        return "".join(" " if v is None else BARS[0] for v in values)
    return "".join(
        " " if v is None else BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1)))]
        for v in values
    )


def metrics(
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    since: Annotated[str, typer.Option("--since", help="e.g. 10m, 1h, 2d")] = "1h",
    service: Annotated[str | None, typer.Option("--service")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Requests, errors, latency, CPU and memory, per service and instance."""
    params: dict[str, Any] = {"since": parse_since(since)}
    if service:
        params["service"] = service
    data = client().request("GET", f"{env_path(app_name, env)}/metrics", params=params)
    if as_json:
        print_json(data)
        return
    if not data["services"]:
        console.print(f"no metrics for {data['app']}/{data['env']} in the last {since}")
        return
    for name, figures in data["services"].items():
        _service(name, figures, since, int(data["step"]))
    rows = [
        (
            i["instance"],
            i["requests"],
            "-" if i.get("error_rate") is None else f"{i['error_rate']:.1%}",
            "-" if i.get("p95_ms") is None else f"{i['p95_ms']:.0f} ms",
            "-" if i.get("cpu") is None else f"{i['cpu']:.0%}",
            "-" if i.get("memory_bytes") is None else f"{i['memory_bytes'] / 2**20:.0f} MiB",
        )
        for i in data["instances"]
    ]
    if rows:
        console.print()
        table(("INSTANCE", "REQUESTS", "ERRORS", "P95", "CPU", "MEMORY"), rows)


def _service(name: str, figures: dict[str, Any], since: str, step: int) -> None:
    total = figures["total"]
    console.print(
        f"[bold]{name}[/]  {total['requests']} requests in the last {since} (a bar per {step}s)",
        highlight=False,
    )
    for label, key, read in FIGURES:
        values = [p.get(key) for p in figures["points"]]
        known = [v for v in values if v is not None]
        if not known:
            continue
        console.print(
            f"  {label:<11}{sparkline(values)}  now {read(known[-1])}, max {read(max(known))}",
            markup=False,
        )


STATE_STYLES = {"firing": "bold red", "pending": "yellow", "resolved": "green", "ok": "dim"}


def alerts(
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    history: Annotated[int, typer.Option("--history", help="How many notices to list.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The running release's alerts with their state, then the latest notices."""
    data = client().request("GET", f"{env_path(app_name, env)}/alerts", params={"history": history})
    if as_json:
        print_json(data)
        return
    if not data["alerts"]:
        console.print("no alerts: declare them as [[alerts]] in launchdeck.toml")
        return
    rows = [
        (
            f"{a['name']} [dim](built-in)[/]" if a.get("builtin") else a["name"],
            f"[{STATE_STYLES.get(a['state'], '')}]{a['state']}[/]",
            a["shown"],
            ago(a["since"]) if a["since"] else "-",
            a["condition"],
        )
        for a in data["alerts"]
    ]
    table(("ALERT", "STATE", "NOW", "SINCE", "CONDITION"), rows)
    if data["history"]:
        console.print()
        table(("WHEN", "NOTICE"), [(ago(h["at"]), h["summary"]) for h in data["history"]])


def top(
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    interval: Annotated[float, typer.Option("--interval", min=0.5, help="Seconds.")] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="Print one view and exit.")] = False,
) -> None:
    """Every instance, live: state, requests/s and errors over the last minute, p95, CPU,
    memory (like `top` or `docker stats`); Ctrl-C leaves."""
    path = env_path(app_name, env)
    if once:
        console.print(_top_table(path))
        return
    with Live(_top_table(path), console=console, auto_refresh=False) as live:
        try:
            while True:
                time.sleep(interval)
                live.update(_top_table(path), refresh=True)
        except KeyboardInterrupt:
            pass


def _top_table(path: str) -> Table:
    api = client()
    instances = api.request("GET", f"{path}/instances")
    figures = {
        row["instance"]: row
        for row in api.request("GET", f"{path}/metrics", params={"since": 60})["instances"]
    }
    view = Table(
        "INSTANCE", "SERVICE", "STATE", "REQ/S", "ERRORS", "P95", "CPU", "MEMORY",
        box=None, header_style="bold", title=time.strftime("%H:%M:%S"), title_justify="left",
    )  # fmt: skip
    for inst in instances:
        row = figures.get(inst["id"], {})
        view.add_row(
            inst["id"],
            inst["service"],
            inst["state"],
            f"{row.get('requests', 0) / 60:.1f}",
            _maybe(row.get("error_rate"), "{:.1%}"),
            _maybe(row.get("p95_ms"), "{:.0f} ms"),
            _maybe(row.get("cpu"), "{:.0%}"),
            _maybe(row.get("memory_bytes") and row["memory_bytes"] / 2**20, "{:.0f} MiB"),
        )
    return view


def _maybe(value: float | None, form: str) -> str:
    return "-" if value is None else form.format(value)
