"""What a log line says of itself: its level, read from the words apps commonly print."""

from __future__ import annotations

import re

LEVELS = (
    (re.compile(r"\b(CRITICAL|FATAL|ERROR|Traceback)\b", re.I), "error"),
    (re.compile(r"\bWARN(ING)?\b", re.I), "warning"),
    (re.compile(r"\bDEBUG\b", re.I), "debug"),
)


def level_of(line: str) -> str:
    """ "error", "warning", "debug", or "" (info, or no level at all)."""
    for pattern, level in LEVELS:
        if pattern.search(line):
            return level
    return ""
