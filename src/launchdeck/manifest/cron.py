"""`[cron.<name>]` and `[environments.<env>.cron.<name>]`: scheduled jobs, and app.json's `cron`
entries as Dokku reads them. Part of the schema (schema.py includes these tables)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import AfterValidator, Field, model_validator

from launchdeck.domain.jobs import DEFAULT_CRON_TIMEOUT, Concurrency, CronJob
from launchdeck.manifest.errors import Issue
from launchdeck.manifest.table import Table
from launchdeck.manifest.values.fieldtypes import Command, Doc, Duration, field_error

FIELDS = ("minute", "hour", "day of month", "month", "day of week")
ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
EXAMPLE = "0 3 * * *"  # every day at 03:00
APP_JSON_FIX = 'e.g. {"command": "python report.py", "schedule": "0 3 * * *"}'


def check_schedule(value: str) -> str:
    """Five fields (or an alias such as @daily); a field that does not parse is named."""
    text = " ".join(value.split())
    if text in ALIASES:
        return text
    parts = text.split(" ")
    if len(parts) != len(FIELDS):
        raise field_error(
            "cron_schedule",
            f"should have 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}",
            f"e.g. {EXAMPLE!r} for every day at 03:00, or every = '10m'",
        )
    for index, (name, part) in enumerate(zip(FIELDS, parts, strict=True)):
        probe = ["*"] * len(FIELDS)
        probe[index] = part
        if not croniter.is_valid(" ".join(probe)):
            raise field_error(
                "cron_field",
                f"its {name} field {part!r} does not parse",
                f"use a number, a range (1-5), a list (1,15), a step (*/10) or *; e.g. {EXAMPLE!r}",
            )
    if not croniter.is_valid(text):
        raise field_error("cron_schedule", "does not parse", f"e.g. {EXAMPLE!r}")
    return text


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise field_error(
            "timezone",
            "is not a known time zone",
            "use an IANA name such as 'Europe/Paris' or 'UTC'",
        ) from None
    return value


Schedule = Annotated[str, AfterValidator(check_schedule), Doc("cron expression")]
TimeZone = Annotated[str, AfterValidator(check_timezone), Doc("IANA time zone")]
ConcurrencyName = Literal["allow", "forbid", "replace"]


class CronOverride(Table):
    """An environment's `[cron.<name>]`: the keys given replace the job's; `enabled = false`
    leaves the job out of this environment."""

    enabled: bool = Field(default=True, examples=[False], description="Run it here at all.")
    command: Command | None = Field(default=None, examples=["python report.py --full"],
                                    description="The command, replaced.")  # fmt: skip
    schedule: Schedule | None = Field(default=None, examples=["0 4 * * *"],
                                      description="The schedule, replaced.")  # fmt: skip
    every: Duration | None = Field(default=None, ge=1, examples=["1h"],
                                   description="Or an interval, replaced.")  # fmt: skip
    timeout: Duration | None = Field(default=None, gt=0, examples=["1h"],
                                     description="The timeout, replaced.")  # fmt: skip


class CronTable(Table):
    """A scheduled job: a one-off run of the environment's current release (its build, config,
    secrets and add-ons) on a schedule. Runs are recorded (`launchdeck cron runs`); a failure or
    a timeout is posted to the `[notify]` webhooks."""

    command: Command = Field(examples=["python report.py"], description="The command to run.")
    schedule: Schedule | None = Field(
        default=None,
        examples=[EXAMPLE],
        description="When, as a cron expression (minute hour day-of-month month day-of-week) "
        "in `timezone`; or give `every`.",
    )
    every: Duration | None = Field(
        default=None, ge=1, examples=["10m"], description="Or: the time between starts."
    )
    timeout: Duration = Field(
        default=DEFAULT_CRON_TIMEOUT,
        gt=0,
        examples=["30m"],
        description="A run still going after this is stopped (SIGTERM, then SIGKILL) and fails.",
    )
    concurrency: ConcurrencyName = Field(
        default="forbid",
        examples=["allow"],
        description='While a run still goes: "forbid" skips the next (recorded as skipped), '
        '"allow" starts it anyway, "replace" stops the running one first.',
    )
    catch_up: bool = Field(
        default=True,
        examples=[False],
        description="A start missed while the control plane was down runs once when it starts.",
    )
    timezone: TimeZone = Field(default="UTC", examples=["Europe/Paris"],
                               description="The time zone of `schedule`.")  # fmt: skip

    @model_validator(mode="after")
    def _one_way_to_say_when(self) -> Self:
        if (self.schedule is None) == (self.every is None):
            raise field_error(
                "cron_when",
                "give exactly one of schedule and every",
                f"e.g. schedule = {EXAMPLE!r} or every = '10m'",
            )
        return self


def to_cron(name: str, table: CronTable) -> CronJob:
    return CronJob(
        name=name,
        command=table.command,
        schedule=table.schedule,
        every=table.every,
        timeout=table.timeout,
        concurrency=Concurrency(table.concurrency),
        catch_up=table.catch_up,
        timezone=table.timezone,
    )


def override_cron(job: CronJob, patch: CronOverride) -> CronJob | None:
    """`job` as an environment has it; None when the environment turns it off."""
    if not patch.enabled:
        return None
    changed: dict[str, Any] = {
        key: value
        for key in ("command", "schedule", "every", "timeout")
        if (value := getattr(patch, key)) is not None
    }
    if "schedule" in changed:
        changed.setdefault("every", None)
    elif "every" in changed:
        changed["schedule"] = None
    return CronJob(**{**job.__dict__, **changed})


def app_json_cron(data: object) -> tuple[dict[str, CronJob], list[Issue]]:
    """app.json's `cron` list as Dokku reads it: `command`, `schedule`, `concurrency_policy`.
    Each job is named `app-json-<hash>` of its schedule and command, so editing the list keeps
    every other job's name (and its history)."""
    entries = data.get("cron", []) if isinstance(data, dict) else []
    jobs: dict[str, CronJob] = {}
    issues: list[Issue] = []
    if not isinstance(entries, list):
        return {}, [
            Issue("app.json cron", entries, "should be a list", "see Dokku's app.json cron")
        ]
    for index, entry in enumerate(entries):
        where = f"app.json cron[{index}]"
        try:
            table = CronTable.model_validate(_dokku_entry(entry))
        except ValueError as exc:
            issues.append(Issue(where, entry, _first_line(exc), APP_JSON_FIX))
            continue
        digest = hashlib.sha1(f"{table.schedule} {table.command}".encode()).hexdigest()[:8]
        name = f"app-json-{digest}"
        jobs[name] = to_cron(name, table)
    return jobs, issues


def _dokku_entry(entry: object) -> dict[str, object]:
    if not isinstance(entry, dict):
        raise ValueError("should be an object with command and schedule")
    raw = {"command": entry.get("command"), "schedule": entry.get("schedule")}
    if "concurrency_policy" in entry:
        raw["concurrency"] = entry["concurrency_policy"]
    return raw


def _first_line(exc: ValueError) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else str(exc)
