"""When a scheduled job is due: the latest start its schedule asks for since the last one
decided (one, however many passed), and whether it came so late it was missed (the control
plane was down)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter

from launchdeck.domain.jobs import CronJob

LATE = 30.0  # seconds: a start found later than this was missed, not merely late


def latest_start(job: CronJob, since: float, now: float) -> float | None:
    """The latest start in (since, now], or None."""
    if job.every is not None:
        count = math.floor((now - since) / job.every)
        return since + count * job.every if count >= 1 else None
    # from the next second back: a start at exactly `now` counts
    start = _walk(job, now + 1.0).get_prev(datetime).timestamp()
    return float(start) if since < start <= now else None


def next_start(job: CronJob, after: float) -> float:
    if job.every is not None:
        return after + job.every
    return float(_walk(job, after).get_next(datetime).timestamp())


def missed(start: float, now: float) -> bool:
    return now - start > LATE


def _walk(job: CronJob, at: float) -> croniter:
    assert job.schedule is not None
    return croniter(
        job.schedule, datetime.fromtimestamp(at, UTC).astimezone(ZoneInfo(job.timezone))
    )
