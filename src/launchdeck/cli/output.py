"""How the CLI shows things: rich tables for people, `--json` for scripts, colours by level."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from launchdeck.domain.logs import level_of

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

LEVEL_STYLES = {"error": "red", "warning": "yellow", "debug": "dim"}
EVENT_STYLES = {
    "succeeded": "bold green",
    "failed": "bold red",
    "rolled_back": "bold red",
    "gate_failed": "red",
    "instance_healthy": "green",
    "build": "cyan",
    "release_output": "magenta",
    "test_output": "magenta",
}


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(*columns, box=None, pad_edge=False, header_style="bold")
    for row in rows:
        t.add_row(*("" if c is None else str(c) for c in row))
    console.print(t)


def ago(ts: float | None) -> str:
    if not ts:
        return ""
    seconds = max(0, int(time.time() - ts))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def log_style(line: str) -> str:
    return LEVEL_STYLES.get(level_of(line), "")


def event_line(event: dict[str, Any]) -> None:
    kind, message = event["kind"], event["message"]
    style = EVENT_STYLES.get(kind, "")
    prefix = "       " if kind in ("build", "release_output", "test_output") else "-----> "
    console.print(f"{prefix}{message}", style=style, markup=False)
