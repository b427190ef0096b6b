"""Periods: how often and for how long backups are kept (`"12h"`, `"24h"`, `"7d"`, `"2w"`).

The duration grammar with other units (durations stop at hours, for timeouts and intervals): a
period is always a number and a unit, since a bare number of seconds is never what anyone means
by "keep".
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from launchdeck.manifest.values.fieldtypes import Doc
from launchdeck.manifest.values.units import UNIT_SECONDS, BadValue, Durations

PERIOD_HELP = "a period like '1h', '12h', '24h', '7d' or '2w'"
PERIODS = Durations(("m", "h", "d", "w"), "7d", bare_seconds=False, help=PERIOD_HELP)


def parse_period(value: object) -> float:
    """Seconds from `"30m"`, `"24h"`, `"7d"` or `"2w"`."""
    return PERIODS.seconds(value)


def format_period(seconds: float) -> str:
    """The shortest spelling parse_period reads back as `seconds`."""
    for unit in ("w", "d", "h", "m"):
        count = seconds / UNIT_SECONDS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    return f"{seconds / 60:g}m"


def _validate(value: object) -> float:
    try:
        return parse_period(value)
    except BadValue as bad:
        raise PydanticCustomError("period", bad.message, {"fix": bad.fix}) from None


Period = Annotated[
    float, BeforeValidator(_validate), Doc("period", lambda s: f'"{format_period(s)}"')
]
