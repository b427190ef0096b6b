"""How `launchdeck aws` shows change sets, progress, status and a one-off run, and asks."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from launchdeck.cli.client import CliError
from launchdeck.cli.output import console, err, table

if TYPE_CHECKING:
    from launchdeck.awsdeploy import (
        ChangeSetSummary,
        DeployEvent,
        EnvStatus,
        LogLine,
        RunEvent,
        TaskStarted,
    )


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


def confirm_production(env: str, line: str, yes: bool) -> None:
    """A run in production is confirmed by --yes, or by a person at the terminal."""
    if env != "production" or yes:
        return
    refused = CliError(
        f"a run in production needs confirmation: {line}", "pass --yes (-y) to run it"
    )
    if not sys.stdin.isatty():
        raise refused
    try:
        if typer.confirm(f"run `{line}` in production?", default=False):
            return
    except (typer.Abort, EOFError):
        pass
    raise refused


class RunOutput:
    """A run's output on stdout, as the command wrote it; its progress on stderr; the task kept
    for a Ctrl-C."""

    def __init__(self) -> None:
        self.started: TaskStarted | None = None

    def event(self, event: RunEvent) -> None:
        from launchdeck.awsdeploy import TaskStarted

        if isinstance(event, TaskStarted):
            self.started = event
        err.print(f"-----> {event}", style="dim", markup=False, soft_wrap=True)

    def line(self, line: LogLine) -> None:
        typer.echo(line.message)  # as the command wrote it: no markup, wrapping or cropping

    def left_running(self) -> tuple[str, str]:
        if self.started is None:
            return "interrupted before the task started", "run the command again"
        return (
            f"stopped following task {self.started.id}: it keeps running",
            f"stop it with: aws ecs stop-task --cluster {self.started.cluster} "
            f"--task {self.started.id}",
        )
