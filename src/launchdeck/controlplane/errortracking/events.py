"""One SDK event payload read into an `ErrorEvent`, grouped by planning.triage.

SDK payloads vary, and each shape is read: `exception` as `{"values": [...]}` or a list,
`message` as a string or `{"formatted", "message", "params"}`, `logentry` likewise, timestamps
as RFC 3339 or seconds since the epoch, tags as an object or `[key, value]` pairs. A value of a
type the payload format does not allow is a `MalformedEnvelope` naming its field.
See https://develop.sentry.dev/sdk/event-payloads/.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from launchdeck.controlplane.errortracking.errors import MalformedEnvelope, json_kind
from launchdeck.domain.errortracking import ErrorEvent
from launchdeck.planning.triage import exceptions_of, group_of, stack_of

SHOWN = 5  # frames kept for display, the most recent
PAYLOAD_DOCS = "https://develop.sentry.dev/sdk/event-payloads/"
AUTO_IP = "{{auto}}"  # the SDK asks for the sender's address


def event_of(payload: object, *, received_at: float, client_ip: str | None = None) -> ErrorEvent:
    """The event in `payload`. `received_at` stands in for a missing timestamp; `client_ip`
    for a user's `ip_address` of `{{auto}}`. An event without an id gets a random one."""
    if not isinstance(payload, dict):
        raise _bad("event", "should be a JSON object", payload)
    _check_exceptions(payload)
    _check_fingerprint(payload.get("fingerprint"))
    exceptions = exceptions_of(payload)
    last: Mapping[str, Any] = exceptions[-1] if exceptions else {}
    grouping = group_of(payload)
    return ErrorEvent(
        event_id=_event_id(payload.get("event_id")),
        timestamp=_timestamp(payload.get("timestamp"), received_at),
        level=(_text(payload, "level") or "error").lower(),
        release=_text(payload, "release"),
        environment=_text(payload, "environment"),
        platform=_text(payload, "platform") or "other",
        message=_message(payload),
        exception_type=_text(last, "type", "event.exception.values[-1]"),
        exception_value=_text(last, "value", "event.exception.values[-1]"),
        frames=tuple(f"{where} in {function}" for where, function in stack_of(payload)[-SHOWN:]),
        path=_path(_object(payload, "request")),
        transaction=_text(payload, "transaction"),
        user=_user(_object(payload, "user"), client_ip),
        logger=_text(payload, "logger"),
        tags=_tags(payload.get("tags")),
        group_key=grouping.key,
        title=grouping.title,
        culprit=grouping.culprit,
    )


def _check_exceptions(payload: Mapping[str, Any]) -> None:
    raw = payload.get("exception")
    if isinstance(raw, dict):
        raw = raw.get("values")
        where = "event.exception.values"
    else:
        where = "event.exception"
    if raw is None:
        return
    if not isinstance(raw, list):
        raise _bad(where, "should be a list of exceptions", raw)
    for i, exception in enumerate(raw):
        if not isinstance(exception, dict):
            raise _bad(f"{where}[{i}]", "should be an object", exception)
        for key in ("type", "value", "module"):
            _text(exception, key, f"{where}[{i}]")
        stacktrace = _object(exception, "stacktrace", f"{where}[{i}]")
        frames = stacktrace.get("frames") if stacktrace else None
        if frames is not None and not isinstance(frames, list):
            raise _bad(f"{where}[{i}].stacktrace.frames", "should be a list", frames)
        for j, frame in enumerate(frames or ()):
            _check_frame(frame, f"{where}[{i}].stacktrace.frames[{j}]")


def _check_frame(frame: object, where: str) -> None:
    if not isinstance(frame, dict):
        raise _bad(where, "should be an object", frame)
    for key in ("module", "function", "filename", "abs_path"):
        _text(frame, key, where)
    if frame.get("in_app") is not None and not isinstance(frame.get("in_app"), bool):
        raise _bad(f"{where}.in_app", "should be true or false", frame.get("in_app"))


def _check_fingerprint(fingerprint: object) -> None:
    if fingerprint is None:
        return
    if not isinstance(fingerprint, list) or not all(
        isinstance(entry, str | int | float) and not isinstance(entry, bool)
        for entry in fingerprint
    ):
        raise _bad("event.fingerprint", "should be a list of strings", fingerprint)


def _event_id(value: object) -> str:
    if value is None:
        return uuid.uuid4().hex
    try:
        if isinstance(value, str):
            return uuid.UUID(value).hex
    except ValueError:
        pass
    raise _bad("event.event_id", "should be 32 hex digits", value)


def _timestamp(value: object, received_at: float) -> float:
    if value is None:
        return received_at
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_time(value.strip())
    if seconds is None or not math.isfinite(seconds):
        raise _bad("event.timestamp", "should be RFC 3339 or seconds since the epoch", value)
    return seconds


def _parse_time(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _message(payload: Mapping[str, Any]) -> str:
    for key in ("logentry", "message"):
        entry = payload.get(key)
        if isinstance(entry, str) and entry:
            return entry
        if not entry:
            continue
        if not isinstance(entry, dict):
            raise _bad(f"event.{key}", "should be an object", entry)
        where = f"event.{key}"
        formatted = _text(entry, "formatted", where)
        template = _text(entry, "message", where)
        if formatted or template:
            return formatted or _format(template or "", entry.get("params"))
    return ""


def _format(template: str, params: object) -> str:
    if not params:
        return template
    try:
        return template % (tuple(params) if isinstance(params, list) else params)
    except (TypeError, ValueError, KeyError):
        return template


def _path(request: Mapping[str, Any] | None) -> str | None:
    url = _text(request, "url", "event.request") if request else None
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts.path or ("/" if parts.netloc else None)


def _user(user: Mapping[str, Any] | None, client_ip: str | None) -> str | None:
    if not user:
        return None
    for key in ("id", "email", "ip_address"):
        value = _text(user, key, "event.user")
        if value == AUTO_IP and key == "ip_address":
            value = client_ip
        if value:
            return value
    return None


def _tags(raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    pairs = list(raw.items()) if isinstance(raw, dict) else raw
    if not isinstance(pairs, list):
        raise _bad("event.tags", "should be an object or a list of [key, value] pairs", raw)
    tags: dict[str, str] = {}
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2 or not isinstance(pair[0], str):
            raise _bad("event.tags", "should be an object or a list of [key, value] pairs", raw)
        value = _scalar(pair[1], f"event.tags.{pair[0]}")
        if value is not None:
            tags[pair[0]] = value
    return tags


def _object(parent: Mapping[str, Any], key: str, where: str = "event") -> dict[str, Any] | None:
    value = parent.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise _bad(f"{where}.{key}", "should be an object", value)


def _text(parent: Mapping[str, Any], key: str, where: str = "event") -> str | None:
    return _scalar(parent.get(key), f"{where}.{key}")


def _scalar(value: object, where: str) -> str | None:
    """A string; numbers and booleans are taken as their text, as Sentry does."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise _bad(where, "should be a string", value)


def _bad(where: str, problem: str, value: object) -> MalformedEnvelope:
    return MalformedEnvelope(
        f"{where}: {problem} (got {json_kind(value)})",
        f"send events as the Sentry SDKs do ({PAYLOAD_DOCS})",
    )
