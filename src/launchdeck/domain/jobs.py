"""One-off runs and scheduled jobs: `launchdeck run`, `[cron.<name>]` (and app.json's `cron`),
and the queues workers consume.

A run is a one-off instance of an environment's current release: its build, its config with
secrets and add-on URLs, in the environment's account, never routed. A cron job starts such a
run on its schedule (a cron expression in a time zone, or `every` so many seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DEFAULT_CRON_TIMEOUT = 3600.0


class Concurrency(StrEnum):
    """What a job's next run does while the previous one still runs (Dokku's, Kubernetes')."""

    ALLOW = "allow"  # start it anyway
    FORBID = "forbid"  # skip it (recorded as skipped)
    REPLACE = "replace"  # stop the previous one, then start it


class RunState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # exit code 0
    FAILED = "failed"  # another exit code, or it could not start
    TIMED_OUT = "timed_out"  # stopped at its timeout
    STOPPED = "stopped"  # stopped by a user (Ctrl-C, `ps:stop`) or replaced
    SKIPPED = "skipped"  # a cron run that did not start: the previous one still ran
    LOST = "lost"  # the control plane restarted and its process was gone

    @property
    def finished(self) -> bool:
        return self is not RunState.RUNNING


@dataclass(frozen=True)
class CronJob:
    name: str
    command: str
    schedule: str | None = None  # five-field cron expression, in `timezone`
    every: float | None = None  # or: seconds between starts
    timeout: float = DEFAULT_CRON_TIMEOUT
    concurrency: Concurrency = Concurrency.FORBID
    catch_up: bool = True  # a start missed while the control plane was down runs once at start
    timezone: str = "UTC"

    @property
    def when(self) -> str:
        """`0 3 * * * (UTC)` or `every 10m`, as `cron list` shows it."""
        if self.schedule is not None:
            return f"{self.schedule} ({self.timezone})"
        return f"every {self.every:g}s"


@dataclass(frozen=True)
class Run:
    """One one-off run: `launchdeck run` (attached or `--detach`), or a cron job's."""

    id: str  # `run.<hex>`: also its instance id and the name its logs are kept under
    app: str
    env: str
    release: int
    command: str  # as given, with the environment's secret values masked
    source: str  # "cli", or "cron:<job>"
    who: str
    state: RunState = RunState.RUNNING
    detached: bool = True
    tty: bool = False
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    pid: int | None = None
    proc_started_at: float | None = None  # the process's create time: a recycled pid won't match
    tail: tuple[str, ...] = ()  # its last log lines, once finished
    reason: str = ""
    scheduled_for: float | None = None  # a cron run: the start its schedule asked for
    timeout: float | None = None  # seconds it may run (a cron job's `timeout`), then stopped
