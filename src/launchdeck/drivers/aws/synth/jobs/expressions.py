"""A job's `schedule` or `every` as an EventBridge Scheduler expression. Pure.

EventBridge's cron has six fields (minutes hours day-of-month month day-of-week year), and one of
day-of-month and day-of-week must be `?`: five-field cron's "either day" (both given) has no
equivalent. Its days of the week are 1-7 from Sunday (cron's are 0-7, 0 and 7 Sunday), so days
are written by name (`MON-FRI`). Steps are written `start/step` when they run to the field's end,
else as the values they stand for, so nothing depends on how EventBridge reads `*/n` or `a-b/n`.
`every` becomes `rate(N minutes|hours|days)`: whole minutes, one at least.
"""

from __future__ import annotations

import re
from typing import Literal

from launchdeck.domain.jobs import CronJob

DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = {name.lower(): number for number, name in enumerate(DAY_NAMES)}  # cron's: Sunday is 0
MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, 1)}
ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_DAY_OF_MONTH_SPECIAL = re.compile(r"^(L|LW|([1-9]|[12][0-9]|3[01])W)\Z", re.IGNORECASE)
_NTH_DAY = re.compile(r"^([0-7]|sun|mon|tue|wed|thu|fri|sat)#([1-5])\Z", re.IGNORECASE)
SPLIT_FIX = "split it into two jobs, one with each (e.g. '0 3 1 * *' and '0 3 * * 1')"


class NoEquivalent(Exception):
    """`key` of the job (`schedule` or `every`) cannot be said to EventBridge Scheduler."""

    def __init__(self, key: Literal["schedule", "every"], message: str, fix: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message
        self.fix = fix


def expression(job: CronJob) -> str:
    """`cron(...)` for a schedule, `rate(...)` for `every`; NoEquivalent when neither fits."""
    if job.every is not None:
        return rate(job.every)
    assert job.schedule is not None
    return cron(job.schedule)


def rate(seconds: float) -> str:
    if seconds < 60:
        raise NoEquivalent(
            "every",
            "is shorter than 1 minute, the shortest interval EventBridge Scheduler runs a job at",
            'use every = "1m" or longer; work every few seconds belongs in a worker service',
        )
    minutes = seconds / 60
    if minutes != int(minutes):
        below, above = int(minutes), int(minutes) + 1
        raise NoEquivalent(
            "every",
            "is not a whole number of minutes, which EventBridge Scheduler's rate() counts in",
            f'use every = "{below}m" or "{above}m"',
        )
    whole = int(minutes)
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if whole % size == 0:
            count = whole // size
            return f"rate({count} {unit}{'' if count == 1 else 's'})"
    raise AssertionError("unreachable: every whole minute count is a count of minutes")


def cron(schedule: str) -> str:
    minute, hour, day, month, weekday = ALIASES.get(schedule, schedule).split()
    days_of_month = _day_of_month(day)
    days_of_week = _day_of_week(weekday)
    if days_of_month != "*" and days_of_week != "*":
        raise NoEquivalent(
            "schedule",
            "gives both a day of the month and a day of the week, which cron runs on either "
            "day; EventBridge Scheduler takes one or the other",
            SPLIT_FIX,
        )
    fields = [
        _render(_values(minute, 0, 59, "minute"), 0, 59),
        _render(_values(hour, 0, 23, "hour"), 0, 23),
        "?" if days_of_week != "*" else days_of_month,
        _render(_values(month, 1, 12, "month", MONTHS), 1, 12),
        days_of_week if days_of_week != "*" else "?",
        "*",
    ]
    return f"cron({' '.join(fields)})"


def _day_of_month(text: str) -> str:
    if _DAY_OF_MONTH_SPECIAL.match(text):
        return text.upper()  # L (last day), LW (last weekday), 15W (weekday nearest the 15th)
    return _render(_values(text, 1, 31, "day of month"), 1, 31)


def _day_of_week(text: str) -> str:
    if nth := _NTH_DAY.match(text):  # 5#3: the third Friday; EventBridge counts from Sunday = 1
        day, count = nth.groups()
        number = DAYS[day.lower()] if day.lower() in DAYS else int(day) % 7
        return f"{number + 1}#{count}"
    days = {value % 7 for value in _values(text, 0, 7, "day of week", DAYS)}
    if days == set(range(7)):
        return "*"
    return _runs([DAY_NAMES[day] for day in sorted(days)], sorted(days))


def _values(
    text: str, low: int, high: int, field: str, names: dict[str, int] | None = None
) -> set[int]:
    """The values a cron field stands for: `*`, `?`, `n`, `a-b`, any of them `/step`, lists."""
    found: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base in ("*", "?"):
                start, end = low, high
            elif "-" in base:
                first, last = base.split("-", 1)
                start, end = _number(first, names), _number(last, names)
            else:
                start = _number(base, names)
                end = high if step_text else start
        except ValueError:
            raise NoEquivalent(
                "schedule",
                f"its {field} field {text!r} has no EventBridge Scheduler equivalent",
                "use numbers, ranges (1-5), lists (1,15), steps (*/10) or *",
            ) from None
        if step < 1 or not low <= start <= end <= high:
            raise NoEquivalent(
                "schedule",
                f"its {field} field {text!r} has a range EventBridge Scheduler cannot run",
                f"write the range from low to high, within {low}-{high}",
            )
        found |= set(range(start, end + 1, step))
    return found


def _number(token: str, names: dict[str, int] | None) -> int:
    if names and token.lower() in names:
        return names[token.lower()]
    if not token.isdigit():
        raise ValueError(token)
    return int(token)


def _render(values: set[int], low: int, high: int) -> str:
    ordered = sorted(values)
    if ordered == list(range(low, high + 1)):
        return "*"
    if len(ordered) >= 3:
        step = ordered[1] - ordered[0]
        stepped = ordered == list(range(ordered[0], high + 1, step))
        if step > 1 and stepped:
            return f"{ordered[0]}/{step}"  # 0/15: 0, 15, 30 and 45, to the field's end
    return _runs([str(value) for value in ordered], ordered)


def _runs(labels: list[str], values: list[int]) -> str:
    """`1,2,3,5` -> `1-3,5`: three or more consecutive values become a range."""
    parts: list[str] = []
    start = 0
    for index in range(1, len(values) + 1):
        if index == len(values) or values[index] != values[index - 1] + 1:
            run = labels[start:index]
            parts.append(f"{run[0]}-{run[-1]}" if len(run) >= 3 else ",".join(run))
            start = index
    return ",".join(parts)
