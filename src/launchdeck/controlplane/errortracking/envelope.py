"""An envelope (https://develop.sentry.dev/sdk/envelopes/) or a legacy store event read from a
decoded body, and the SDK's public key from its auth header or query string.

An envelope is a JSON header line, then items: each a JSON header line with its `type` and
optionally its `length`, then that many bytes of payload (or, without a length, the payload up
to the next newline). `event` items are kept; every other type is accepted and dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from launchdeck.controlplane.errortracking.errors import (
    SEND_AS_SDK,
    MalformedEnvelope,
    json_kind,
)


@dataclass(frozen=True)
class Envelope:
    event_id: str | None  # from the envelope header
    dsn_key: str | None  # the public key of the header's `dsn`, when the SDK sent one
    sent_at: str | None
    events: tuple[dict[str, Any], ...]  # the `event` items' payloads
    ignored: tuple[str, ...] = ()  # the types of the items accepted and dropped


def parse_envelope(data: bytes) -> Envelope:
    """The envelope's header and its `event` items; items of other types are dropped."""
    lines = _Items(data)
    header = _json_object(lines.header(), "the envelope header")
    events: list[dict[str, Any]] = []
    ignored: list[str] = []
    event_id = _header_text(header, "event_id")
    for index, kind, payload in lines:
        if kind == "event":
            event = _json_object(payload, f"item {index} (event): its payload")
            if event.get("event_id") is None and event_id:
                event["event_id"] = event_id
            events.append(event)
        else:
            ignored.append(kind)
    return Envelope(
        event_id=event_id,
        dsn_key=_dsn_key(_header_text(header, "dsn")),
        sent_at=_header_text(header, "sent_at"),
        events=tuple(events),
        ignored=tuple(ignored),
    )


def parse_store(data: bytes) -> dict[str, Any]:
    """The one event the legacy `/store/` endpoint takes: a JSON object."""
    return _json_object(data, "the event")


class _Items:
    """Walks the envelope's lines: the header, then (index, type, payload) for each item."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def header(self) -> bytes:
        if not self.data.strip():
            raise MalformedEnvelope("the envelope is empty", SEND_AS_SDK)
        return self._line()

    def __iter__(self) -> Iterator[tuple[int, str, bytes]]:
        index = 0
        while self.pos < len(self.data):
            line = self._line()
            if not line.strip():  # a blank line between items, or the last newline
                continue
            item = _json_object(line, f"item {index}: its header")
            kind = item.get("type")
            if not isinstance(kind, str) or not kind:
                raise MalformedEnvelope(f"item {index}: its header has no type", SEND_AS_SDK)
            yield index, kind, self._payload(index, item.get("length"))
            index += 1

    def _line(self) -> bytes:
        end = self.data.find(b"\n", self.pos)
        end = len(self.data) if end < 0 else end
        line, self.pos = self.data[self.pos : end], end + 1
        return line

    def _payload(self, index: int, length: object) -> bytes:
        if length is None:
            return self._line()
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise MalformedEnvelope(
                f"item {index}: its length should be a whole number of bytes (got {length!r})",
                SEND_AS_SDK,
            )
        start, end = self.pos, self.pos + length
        if end > len(self.data):
            raise MalformedEnvelope(
                f"item {index}: its header says {length} bytes but {len(self.data) - start} "
                "follow: the envelope is truncated",
                "send the whole envelope; a proxy may have cut the body short",
            )
        if end < len(self.data) and self.data[end : end + 1] != b"\n":
            raise MalformedEnvelope(
                f"item {index}: a newline should follow its {length}-byte payload "
                f"(got {self.data[end : end + 8]!r})",
                "set each item's length to the exact byte count of its payload",
            )
        self.pos = end + 1
        return self.data[start:end]


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise MalformedEnvelope(f"{what} is not valid JSON: {_first(exc)}", SEND_AS_SDK) from None
    if not isinstance(value, dict):
        raise MalformedEnvelope(
            f"{what} should be a JSON object (got {json_kind(value)})", SEND_AS_SDK
        )
    return value


def _header_text(header: Mapping[str, Any], key: str) -> str | None:
    value = header.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise MalformedEnvelope(
        f"the envelope header: {key} should be a string (got {json_kind(value)})", SEND_AS_SDK
    )


def _dsn_key(dsn: str | None) -> str | None:
    if dsn is None:
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        raise MalformedEnvelope(
            f"the envelope header: dsn is not a URL ({dsn!r})", SEND_AS_SDK
        ) from None


def parse_auth(header: str | None, query: Mapping[str, str]) -> str | None:
    """The SDK's public key: `sentry_key` in `X-Sentry-Auth` (or `Authorization`)
    `Sentry sentry_key=..., sentry_version=7, sentry_client=...`, else in the query string."""
    if header:
        scheme, _, rest = header.strip().partition(" ")
        fields = rest if scheme.lower() == "sentry" else header
        for field in fields.split(","):
            name, sep, value = field.strip().partition("=")
            if sep and name.strip().lower() == "sentry_key" and value.strip().strip('"'):
                return value.strip().strip('"')
    return query.get("sentry_key", "").strip() or None


def _first(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:200]
