"""Values as rules compare them: as versions when both sides are versions, else as numbers when
both are numbers, else as text. Pure: no I/O, imports nothing of the package."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

_VERSION = re.compile(r"v?([0-9]+(?:\.[0-9]+)*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?")
_NUMBER = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?")
MAX_PARSED = 100  # longer text is only ever text: int() of thousands of digits is slow or refused

PrereleasePart = tuple[int, int, str]  # (0, n, "") for numeric parts, (1, 0, s) for others


@dataclass(frozen=True)
class Version:
    """A dotted version with an optional pre-release: `1.4.2`, `v2`, `2.0.0-beta.1`.

    Trailing zeros do not count (1.4 == 1.4.0) and a pre-release sorts before its release;
    pre-release parts compare as semver's do (numbers numerically, below words)."""

    release: tuple[int, ...]
    prerelease: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Version | None:
        match = _VERSION.fullmatch(text) if len(text) <= MAX_PARSED else None
        if match is None:
            return None
        release = tuple(int(part) for part in match.group(1).split("."))
        pre = match.group(2)
        return cls(release, tuple(pre.split(".")) if pre else ())

    @property
    def key(self) -> tuple[tuple[int, ...], tuple[int, tuple[PrereleasePart, ...]]]:
        release = self.release
        while len(release) > 1 and release[-1] == 0:
            release = release[:-1]
        if not self.prerelease:
            return release, (1, ())
        parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return release, (0, parts)


@dataclass(frozen=True)
class Value:
    """One side of a comparison: its text, and its number and version when it reads as one."""

    text: str
    number: int | float | None = None
    version: Version | None = None

    @classmethod
    def parse(cls, text: str) -> Value:
        """A value written as text: a rule's literal, or a string attribute."""
        number: int | float | None = None
        if len(text) <= MAX_PARSED and _NUMBER.fullmatch(text):
            number = float(text) if "." in text else int(text)
        return cls(text, number, Version.parse(text))

    @classmethod
    def of(cls, raw: object) -> Value | None:
        """An attribute of an evaluation context; None for one rules cannot compare (missing,
        a list, a mapping). Numbers stay numbers (never versions); booleans read `true`/`false`."""
        match raw:
            case None:
                return None
            case bool():
                return cls("true" if raw else "false")
            case float() if raw != raw:  # NaN: equal to nothing, so never a number here
                return cls(str(raw))
            case int() | float():
                return cls(str(raw), raw)
            case str():
                return cls.parse(raw)
            case datetime() | date():
                return cls(raw.isoformat())
            case _:
                return None


def compare(left: Value, right: Value) -> int:
    """-1, 0 or 1 as `left` sorts before, with or after `right`."""
    if left.version is not None and right.version is not None:
        a, b = left.version.key, right.version.key
        return (a > b) - (a < b)
    if left.number is not None and right.number is not None:
        x, y = left.number, right.number
        return (x > y) - (x < y)
    return (left.text > right.text) - (left.text < right.text)


def text_of(raw: object) -> str | None:
    """How an allow-list entry sees an attribute: its text (`true`/`false` for booleans)."""
    value = Value.of(raw)
    return None if value is None else value.text
