"""A log alert's regular expression as a CloudWatch Logs filter pattern.

Filter patterns are not Python regular expressions. Two forms keep the meaning exactly:
- plain text, or alternatives of plain text (`Traceback|CRITICAL`, `Traceback \\(most recent`):
  quoted terms, `?"Traceback" ?"CRITICAL"`, which match a line containing any of them, case
  sensitive, as `re.search` does; no quota, and spaces and parentheses are fine;
- anything else, written only with what CloudWatch's own regular expressions take (letters,
  digits, `_#=@/;,-` and the operators `^$?[]{}|\\*+.`): `%<regex>%`, at most 5 per log group.
Everything else (groups, spaces or `:` in a real regex, flags like `(?i)`) is refused with a fix
rather than approximated: an alert that silently never fires is worse than an error.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

REGEX_FILTERS_PER_LOG_GROUP = 5  # CloudWatch's quota of regex filter patterns per log group
MAX_LENGTH = 1024  # of a filter pattern

_META = frozenset(".^$*+?{}[]()|\\")
# What CloudWatch's %regex% takes (docs: "Supported regular expressions (regex) syntax").
REGEX_CHARS = frozenset(string.ascii_letters + string.digits + "_#=@/;,-" + "^$?[]{}|\\*+.")
_REGEX_FIX = (
    "write it as text alternatives, e.g. 'Traceback|CRITICAL' (any text, spaces included), or "
    "as a regex of letters, digits, _#=@/;,- and ^$?[]{}|\\*+. only (e.g. '[Ee]rror|FATAL')"
)


@dataclass(frozen=True)
class FilterPattern:
    text: str
    regex: bool  # counts against the log group's quota of regex filter patterns


class Untranslatable(ValueError):
    """The pattern has no CloudWatch filter pattern with the same meaning."""

    def __init__(self, message: str, fix: str = _REGEX_FIX) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


def filter_pattern(regex: str) -> FilterPattern:
    """The filter pattern matching the lines `re.search(regex, line)` matches; raises
    Untranslatable with the reason and a fix when CloudWatch has none."""
    alternatives = _split_alternatives(regex)
    literals = [_literal(alternative) for alternative in alternatives]
    if any(literal == "" for literal in literals):
        raise Untranslatable(
            "has an empty alternative, which matches every line",
            "remove the empty alternative (a leading, trailing or doubled '|')",
        )
    texts = [literal for literal in literals if literal is not None]
    if len(texts) == len(literals) and all(_quotable(text) for text in texts):
        found = FilterPattern(_terms(texts), regex=False)
    else:
        _check_regex(regex)
        found = FilterPattern(f"%{regex}%", regex=True)
    if len(found.text) > MAX_LENGTH:
        raise Untranslatable(
            f"becomes a filter pattern of {len(found.text)} characters; CloudWatch takes "
            f"{MAX_LENGTH} at most",
            "shorten the pattern, or split it into two alerts",
        )
    return found


def _terms(texts: list[str]) -> str:
    """One quoted term, or any of several (`?"a" ?"b"`)."""
    if len(texts) == 1:
        return f'"{texts[0]}"'
    return " ".join(f'?"{text}"' for text in texts)


def _split_alternatives(regex: str) -> list[str]:
    """`regex` split at each `|` that is not escaped. A `|` inside a group or a class splits
    too, but then a part holds `(` or `[`, is not plain text, and the whole is read as a regex."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in regex:
        if char == "|" and not escaped:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
        escaped = char == "\\" and not escaped
    parts.append("".join(current))
    return parts


def _literal(alternative: str) -> str | None:
    """The text `alternative` matches when it is plain text (escaped punctuation included),
    else None."""
    text, index = [], 0
    while index < len(alternative):
        char = alternative[index]
        if char == "\\":
            following = alternative[index + 1 : index + 2]
            if not following or following.isalnum():
                return None  # \d, \b, \n...: a class, an anchor or a control character
            text.append(following)
            index += 2
            continue
        if char in _META:
            return None
        text.append(char)
        index += 1
    return "".join(text)


def _quotable(text: str) -> bool:
    """A double-quoted term cannot hold a double quote or a backslash."""
    return text.isprintable() and '"' not in text and "\\" not in text


def _check_regex(regex: str) -> None:
    refused = sorted({char for char in regex if char not in REGEX_CHARS})
    if refused:
        shown = " ".join(repr(char) for char in refused)
        raise Untranslatable(
            f"is a regular expression CloudWatch Logs cannot run: it uses {shown}, and "
            "CloudWatch's regular expressions take only letters, digits, _#=@/;,- and "
            "^$?[]{}|\\*+. (no groups, no spaces)"
        )
