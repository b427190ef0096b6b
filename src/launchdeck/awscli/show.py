"""How `launchdeck aws` shows change sets, progress and status."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from launchdeck.cli.output import console, table

if TYPE_CHECKING:
    from launchdeck.awsdeploy import ChangeSetSummary, DeployEvent, EnvStatus


def confirm_change_set(summary: ChangeSetSummary) -> bool:
    """Show what the change set does and ask; Ctrl-C or EOF counts as no."""
    head, *body = summary.lines()
    console.print(head, style="bold", markup=False)
    for line in body:
        style = "red" if line.lstrip().startswith("Remove") else ""
        console.print(line, style=style, markup=False)
    try:
        return typer.confirm("apply this change set?", default=False)
    except (typer.Abort, EOFError):
        return False


def show_event(event: DeployEvent) -> None:
    from launchdeck.awsdeploy import Phase, RolloutProgress, StackProgress

    match event:
        case Phase():
            console.print(f"-----> {event}", markup=False)
        case StackProgress():
            status = event.event.status
            style = "red" if event.event.failed else "green" if status.endswith("COMPLETE") else ""
            console.print(f"       {event}", style=style, markup=False)
        case RolloutProgress():
            style = "green" if event.state == "COMPLETED" else ""
            console.print(f"       {event}", style=style, markup=False)


def show_status(found: EnvStatus) -> None:
    console.print(f"{found.app} {found.env}: stack {found.stack} {found.stack_status}")
    console.print(f"image {found.digest or '(none)'}" + (f"  url {found.url}" if found.url else ""))
    table(
        ["SERVICE", "RUNNING", "ROLLOUT", "TASK DEFINITION"],
        [
            (s.service, f"{s.running}/{s.desired}", s.rollout_state, s.task_definition)
            for s in found.services
        ],
    )
    for service, arn in found.rolled_back_to.items():
        console.print(f"{service} was rolled back to {arn}", style="yellow")
