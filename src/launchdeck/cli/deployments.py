"""Following a deployment: its events as they happen, then its outcome as the exit status."""

from __future__ import annotations

from typing import Any

from launchdeck.cli.client import Client, CliError
from launchdeck.cli.output import event_line


def follow(api: Client, deployment: dict[str, Any]) -> None:
    """Stream a deployment's events; exit non-zero unless it succeeded."""
    for event in api.stream(f"/v1/deployments/{deployment['id']}/events", {"follow": True}):
        event_line(event)
    final = api.request("GET", f"/v1/deployments/{deployment['id']}")
    if final["state"] != "succeeded":
        raise CliError(f"{final['kind']} {final['state']}: {final['reason']}", code=1)
