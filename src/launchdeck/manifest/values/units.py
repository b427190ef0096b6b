"""Durations, sizes and rollout amounts as people write them, to and from domain units.

Durations become seconds (float), sizes bytes (int), amounts `domain.Amount`. A bad value raises
BadValue carrying the fix, so the schema can report it without knowing the grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from launchdeck.domain import Amount
from launchdeck.system.errors import LaunchdeckError


class BadValue(LaunchdeckError, ValueError):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message, fix)


# The one duration grammar: a number and a unit. Each use takes the units that make sense for it
# (timeouts stop at hours; backup periods start at minutes), and a plain number of seconds only
# where people write one.
UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
# Spellings people reach for first; mapped so the fix can name the right one.
_UNIT_ALIASES = {
    "msec": "ms", "msecs": "ms", "millis": "ms", "milliseconds": "ms",
    "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "day": "d", "days": "d", "week": "w", "weeks": "w",
}  # fmt: skip
_SIZE_UNITS = {
    "K": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4,
    "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4,
}  # fmt: skip
_SIZE_ALIASES = {"KB": "K", "MB": "M", "GB": "G", "TB": "T"}
# A sign is accepted so "-1s" reaches the range check and is reported as out of range.
_NUMBER_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
_PERCENT = re.compile(r"^(\d+)%$")

DURATION_HELP = "a duration like '500ms', '1s', '1.5s', '5m', '1h' or a number of seconds"
SIZE_HELP = "a size like '512MiB', '1GiB', '256M', '100KiB' or a number of bytes"


@dataclass(frozen=True)
class Durations:
    """Which units a field takes, the example its fixes show, and whether a plain number means
    seconds."""

    units: tuple[str, ...]
    example: str
    bare_seconds: bool
    help: str

    def seconds(self, value: object) -> float:
        if self.bare_seconds and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        match = _NUMBER_UNIT.fullmatch(value) if isinstance(value, str) else None
        if match and match[2] in self.units:
            return float(match[1]) * UNIT_SECONDS[match[2]]
        raise BadValue(f"should be {self.help}", self._fix(value, match))

    def _fix(self, value: object, match: re.Match[str] | None) -> str:
        listed = f"{', '.join(self.units[:-1])} or {self.units[-1]}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"write it with a unit, e.g. '{value:g}{self.example[-1]}'"
        if match is None:
            return f"write a number and a unit ({listed}), e.g. '{self.example}'"
        number, unit = match[1], match[2].lower()
        known = unit if unit in self.units else _UNIT_ALIASES.get(unit)
        if not unit and self.bare_seconds:  # "30": as a string, it needs its unit
            return f"use '{number}s'"
        if not unit:
            return f"add a unit, e.g. '{number}{self.example[-1]}'"
        if known is None or known not in self.units:
            return f"use one of the units {listed}, e.g. '{self.example}'"
        return f"use {number + known!r}"


DURATIONS = Durations(("ms", "s", "m", "h"), "30s", bare_seconds=True, help=DURATION_HELP)


def parse_duration(value: object) -> float:
    """Seconds from `"1.5s"`, `"5m"`, `"500ms"`, `"1h"` or a plain number of seconds."""
    return DURATIONS.seconds(value)


def parse_size(value: object) -> int:
    """Bytes from `"512MiB"` (binary), `"256M"` (decimal) or a plain number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _NUMBER_UNIT.match(value) if isinstance(value, str) else None
    if match and match[2] in _SIZE_UNITS:
        return round(float(match[1]) * _SIZE_UNITS[match[2]])
    raise BadValue(f"should be {SIZE_HELP}", _size_fix(match))


def _size_fix(match: re.Match[str] | None) -> str:
    if match is None:
        return "write a number and a unit (KiB, MiB, GiB, K, M, G), e.g. '512MiB'"
    number, unit = match[1], match[2]
    if not unit:
        return f"add a unit, e.g. '{number}MiB' (or write {number} without quotes for bytes)"
    known = _SIZE_ALIASES.get(unit.upper()) or _case_fold_unit(unit)
    if known is None:
        return "use one of the units KiB, MiB, GiB (binary) or K, M, G (decimal), e.g. '512MiB'"
    return f"use {number + known!r}"


def _case_fold_unit(unit: str) -> str | None:
    return next((known for known in _SIZE_UNITS if known.lower() == unit.lower()), None)


def parse_amount(value: object) -> Amount:
    """An instance count (`1`) or a percentage of the desired count (`"50%"`)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Amount(value)
    if isinstance(value, str) and (match := _PERCENT.match(value.strip())):
        return Amount(int(match[1]), percent=True)
    fix = "use a whole number of instances like 1, or a percentage like '25%'"
    if isinstance(value, str) and value.strip().isdigit():
        fix = f"use {int(value)} (no quotes) or '{int(value)}%'"
    raise BadValue("should be a number of instances (>= 0) or a percentage like '25%'", fix)


def parse_percent(value: object) -> float:
    """A percentage from 1 to 100: `"60%"`, or the bare number 60."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and (match := _PERCENT.match(value.strip())):
        number = float(match[1])
    if number is None or not 0 < number <= 100:
        raise BadValue("should be a percentage from 1% to 100%", "use a percentage like '60%'")
    return number


def parse_increase(value: object) -> float:
    """How much worse a figure may get, as a fraction: `"20%"` is 0.2 (0% or more)."""
    if isinstance(value, str) and (match := _PERCENT.match(value.strip())):
        return int(match[1]) / 100
    raise BadValue("should be a percentage like '20%'", "use a percentage like '1%' or '20%'")


def format_duration(seconds: float) -> str:
    """The shortest spelling parse_duration reads back as `seconds`."""
    if seconds == 0:
        return "0s"
    for unit in ("h", "m", "s"):
        count = seconds / UNIT_SECONDS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    if seconds < 1 and (seconds * 1000) == int(seconds * 1000):
        return f"{int(seconds * 1000)}ms"
    return f"{seconds:g}s"


def format_number(value: float) -> int | float:
    """A number as a manifest writes it: 100, not 100.0."""
    return int(value) if value.is_integer() else value


def format_size(size: int) -> str:
    """The largest binary unit that divides `size` exactly, else plain bytes."""
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        if size >= _SIZE_UNITS[unit] and size % _SIZE_UNITS[unit] == 0:
            return f"{size // _SIZE_UNITS[unit]}{unit}"
    return str(size)
