"""Regular expressions people give the control plane (a log alert's pattern, `logs --grep`) run
over what apps print: both sides are untrusted. A pattern that backtracks without end, say
`(a+)+$` against a long line of a's, would hold a thread for years with `re`; the `regex`
module's searches take a time limit instead, and lines are cut to MAX_LINE first."""

from __future__ import annotations

import regex

MAX_LINE = 4096  # characters of a log line a pattern is searched in
MATCH_TIMEOUT = 0.05  # seconds one search may take; past it, TimeoutError

Pattern = regex.Pattern
PatternError = regex.error


def compile_pattern(text: str) -> regex.Pattern[str]:
    """Python's `re` syntax (raises PatternError)."""
    return regex.compile(text)


def found_in(pattern: regex.Pattern[str], line: str) -> bool:
    """Whether `pattern` occurs in `line` (raises TimeoutError past MATCH_TIMEOUT)."""
    return pattern.search(line[:MAX_LINE], timeout=MATCH_TIMEOUT) is not None
