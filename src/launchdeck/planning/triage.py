"""Error triage, as pure decisions: which group an SDK event belongs to, and how urgent it is.

Grouping, like Sentry's:
- by the SDK's `fingerprint` when it sends one; `{{ default }}` in it stands for the default
  grouping's components, so `["{{ default }}"]` alone is the default grouping;
- else by the exceptions: each one's type and frames, a frame as its module (or its file name
  without directory or line) and function, never a line number, so the same error from two
  releases with shifted lines is one group. Once any frame is in app only in-app frames count;
  every exception of a chain counts; recursion counts once; an exception without frames counts
  its value, normalized;
- else by the message template (`logentry.message`), or by the message with its numbers, hex,
  UUIDs, IP and e-mail addresses replaced by placeholders.
The key is the first 16 hex digits of the sha256 of the components as JSON: stored groups are
found again by it, so the way it is made must not change.

`payload` is an SDK event as decoded JSON; values of the wrong type are skipped, never raised on
(controlplane/errortracking/events.py rejects malformed events before they get here).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from launchdeck.domain.errortracking import (
    Grouping,
    GroupingBasis,
    GroupStats,
    Priority,
    TriageRules,
)

KEY_LENGTH = 16
TITLE_LENGTH = 200
UNLABELED = "<unlabeled event>"
_DEFAULT = re.compile(r"\{\{\s*default\s*\}\}")
_PLACEHOLDERS = (
    (re.compile(r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"\b0[xX][0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), "<hex>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "<ip>"),
    (re.compile(r"(?<![A-Za-z_\d])\d+(?:\.\d+)?"), "<num>"),
)

Frame = tuple[str, str]  # (module or file name, function)


def group_of(payload: Mapping[str, Any]) -> Grouping:
    basis, components = _default_components(payload)
    fingerprint = _fingerprint(payload.get("fingerprint"))
    if fingerprint and not all(_DEFAULT.fullmatch(entry.strip()) for entry in fingerprint):
        default = [basis.value, components]
        components = [
            default if _DEFAULT.fullmatch(entry.strip()) else entry for entry in fingerprint
        ]
        basis = GroupingBasis.FINGERPRINT
    encoded = json.dumps([basis.value, components], separators=(",", ":"), ensure_ascii=False)
    key = hashlib.sha256(encoded.encode()).hexdigest()[:KEY_LENGTH]
    return Grouping(key, _title(payload), _culprit(payload), basis)


def normalize_message(message: str) -> str:
    """The message with its variable parts as placeholders: `order <num> failed`."""
    for pattern, placeholder in _PLACEHOLDERS:
        message = pattern.sub(placeholder, message)
    return message


def exceptions_of(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The event's exceptions, innermost first (the last is the one the app saw raised)."""
    raw = payload.get("exception")
    values = raw.get("values") if isinstance(raw, Mapping) else raw
    if not isinstance(values, list):
        return []
    return [value for value in values if isinstance(value, Mapping)]


def stack_of(payload: Mapping[str, Any]) -> list[Frame]:
    """The outermost exception's frames as grouping sees them, the most recent call last."""
    exceptions = exceptions_of(payload)
    return frames_of(exceptions[-1], in_app=_any_in_app(exceptions)) if exceptions else []


def frames_of(exception: Mapping[str, Any], *, in_app: bool) -> list[Frame]:
    """(module or file name, function) of the exception's frames, only the in-app ones when
    `in_app`; the most recent call last, recursion collapsed into one frame."""
    labels: list[Frame] = []
    for frame in _raw_frames(exception):
        if in_app and frame.get("in_app") is not True:
            continue
        label = (_where(frame), _text(frame.get("function")) or "?")
        if not labels or labels[-1] != label:
            labels.append(label)
    return labels


def _raw_frames(exception: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    stacktrace = exception.get("stacktrace")
    raw = stacktrace.get("frames") if isinstance(stacktrace, Mapping) else None
    return [frame for frame in raw if isinstance(frame, Mapping)] if isinstance(raw, list) else []


def _any_in_app(exceptions: list[Mapping[str, Any]]) -> bool:
    # like Sentry's "app" variant: once any frame is the app's, library frames never count
    return any(f.get("in_app") is True for e in exceptions for f in _raw_frames(e))


def _default_components(payload: Mapping[str, Any]) -> tuple[GroupingBasis, list[Any]]:
    exceptions = exceptions_of(payload)
    if exceptions:
        in_app = _any_in_app(exceptions)
        return GroupingBasis.EXCEPTION, [_exception_component(e, in_app) for e in exceptions]
    return GroupingBasis.MESSAGE, [_template(payload)]


def _exception_component(exception: Mapping[str, Any], in_app: bool) -> list[Any]:
    kind = _text(exception.get("type")) or ""
    if _raw_frames(exception):
        frames = frames_of(exception, in_app=in_app)
        return [kind, [list(frame) for frame in frames]]
    return [kind, normalize_message(_text(exception.get("value")) or "")]


def _template(payload: Mapping[str, Any]) -> str:
    for key in ("logentry", "message"):
        entry = payload.get(key)
        if isinstance(entry, Mapping) and _text(entry.get("message")):
            return _text(entry.get("message")) or ""
    return normalize_message(_formatted(payload))


def _formatted(payload: Mapping[str, Any]) -> str:
    for key in ("logentry", "message"):
        entry = payload.get(key)
        if isinstance(entry, str) and entry:
            return entry
        if isinstance(entry, Mapping):
            text = _text(entry.get("formatted")) or _text(entry.get("message"))
            if text:
                return text
    return ""


def _fingerprint(raw: object) -> list[str]:
    if not isinstance(raw, list):
        return []
    return [
        str(entry)
        for entry in raw
        if isinstance(entry, str | int | float) and not isinstance(entry, bool)
    ]


def _title(payload: Mapping[str, Any]) -> str:
    exceptions = exceptions_of(payload)
    if exceptions:
        last = exceptions[-1]
        kind, value = _text(last.get("type")), _first_line(_text(last.get("value")) or "")
        title = f"{kind}: {value}" if kind and value else kind or value or "Error"
    else:
        title = _first_line(_formatted(payload)) or UNLABELED
    return title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1] + "…"


def _culprit(payload: Mapping[str, Any]) -> str:
    frames = stack_of(payload)
    if frames:
        return f"{frames[-1][0]} in {frames[-1][1]}"
    return _text(payload.get("transaction")) or ""


def _where(frame: Mapping[str, Any]) -> str:
    module = _text(frame.get("module"))
    if module:
        return module
    filename = _text(frame.get("filename")) or _text(frame.get("abs_path")) or "?"
    name = re.split(r"[/\\]", filename.split("?")[0].split("#")[0])[-1]
    return re.sub(r"(?::\d+)+$", "", name) or "?"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def priority_of(stats: GroupStats, rules: TriageRules) -> tuple[Priority, str]:
    """The group's priority and the reason, in words with the figures that decided it."""
    share = stats.request_share
    if stats.is_new and share is not None and share > rules.p0_request_share:
        return Priority.P0, (
            f"new in release {stats.current_release} and in {_pct(share)} of requests in the "
            f"window ({stats.events_in_window} events, {stats.requests_in_window} requests): "
            f"more than {_pct(rules.p0_request_share)}"
        )
    critical = _critical(stats.paths, rules.critical_paths)
    if critical:
        path, pattern = critical
        return Priority.P0, f"seen on {path}, a critical path ({pattern})"
    if stats.is_regression:
        resolved = f" in release {stats.resolved_release}" if stats.resolved_release else ""
        again = f" in release {stats.current_release}" if stats.current_release else ""
        return Priority.P1, f"a regression: resolved{resolved}, seen again{again}"
    if stats.events_last_hour > rules.p1_events_per_hour:
        return Priority.P1, (
            f"{stats.events_last_hour} events in the last hour: "
            f"more than {rules.p1_events_per_hour}"
        )
    return Priority.P2, _ordinary(stats, rules)


def _ordinary(stats: GroupStats, rules: TriageRules) -> str:
    return (
        f"{_newness(stats, rules)}; {stats.events_last_hour} events in the last hour (P1 above "
        f"{rules.p1_events_per_hour}); no critical path; not a regression"
    )


def _newness(stats: GroupStats, rules: TriageRules) -> str:
    if not stats.is_new:
        if stats.first_release is None:
            return "first seen without a release, so not new in one"
        return f"first seen in release {stats.first_release}, not new"
    share = stats.request_share
    seen = f"in {_pct(share)} of requests in the window" if share is not None else "no requests"
    return (
        f"new in release {stats.current_release} ({seen}, P0 above {_pct(rules.p0_request_share)})"
    )


def _critical(paths: tuple[str, ...], patterns: tuple[str, ...]) -> tuple[str, str] | None:
    for pattern in patterns:
        regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
        for path in paths:
            if regex.fullmatch(path):
                return path, pattern
    return None


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.3g}%"
