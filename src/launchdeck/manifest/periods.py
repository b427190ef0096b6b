"""Periods: how often and for how long backups are kept (`"12h"`, `"24h"`, `"7d"`, `"2w"`).

A separate grammar from durations (which stop at hours, for timeouts and intervals): a period is
always a number and a unit, since a bare number of seconds is never what anyone means by "keep".
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from launchdeck.manifest.fieldtypes import Doc

PERIOD_UNITS = {"m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
PERIOD_HELP = "a period like '1h', '12h', '24h', '7d' or '2w'"
_ALIASES = {
    "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "day": "d", "days": "d", "week": "w", "weeks": "w",
}  # fmt: skip
_NUMBER_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


class BadPeriod(ValueError):
    def __init__(self, fix: str) -> None:
        super().__init__(f"should be {PERIOD_HELP}")
        self.message = f"should be {PERIOD_HELP}"
        self.fix = fix


def parse_period(value: object) -> float:
    """Seconds from `"30m"`, `"24h"`, `"7d"` or `"2w"`."""
    match = _NUMBER_UNIT.match(value) if isinstance(value, str) else None
    if match and match[2] in PERIOD_UNITS:
        return float(match[1]) * PERIOD_UNITS[match[2]]
    raise BadPeriod(_fix(value, match))


def _fix(value: object, match: re.Match[str] | None) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"write it with a unit, e.g. '{value:g}d' or '{value:g}h'"
    if match is None:
        return "write a number and a unit (m, h, d or w), e.g. '7d'"
    number, unit = match[1], match[2]
    if not unit:
        return f"add a unit, e.g. '{number}d'"
    known = _ALIASES.get(unit.lower()) or (unit.lower() if unit.lower() in PERIOD_UNITS else None)
    if known is None:
        return "use one of the units m, h, d or w, e.g. '7d'"
    return f"use {number + known!r}"


def format_period(seconds: float) -> str:
    """The shortest spelling parse_period reads back as `seconds`."""
    for unit in ("w", "d", "h", "m"):
        count = seconds / PERIOD_UNITS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    return f"{seconds / 60:g}m"


def _validate(value: object) -> float:
    try:
        return parse_period(value)
    except BadPeriod as bad:
        raise PydanticCustomError("period", bad.message, {"fix": bad.fix}) from None


Period = Annotated[
    float, BeforeValidator(_validate), Doc("period", lambda s: f'"{format_period(s)}"')
]
