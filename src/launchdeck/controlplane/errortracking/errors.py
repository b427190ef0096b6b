"""Error tracking's exceptions: each is an API error whose `http_status` is the answer's.

EnvelopeError (controlplane/errors.py ApiError)
├── MalformedEnvelope      400  not an envelope or an event: says which item or field, and why
├── PayloadTooLarge        413  the body, once decompressed, is over the limit
└── UnsupportedEncoding    415  a Content-Encoding the control plane cannot undo
"""

from __future__ import annotations

from launchdeck.controlplane.errors import ApiError

ENVELOPE_DOCS = "https://develop.sentry.dev/sdk/envelopes/"
SEND_AS_SDK = f"send what the Sentry SDKs send ({ENVELOPE_DOCS})"


class EnvelopeError(ApiError):
    """An SDK request the control plane cannot take; `message` says what, `fix` what to do."""

    @property
    def http_status(self) -> int:
        return self.status


class MalformedEnvelope(EnvelopeError):
    status = 400


class PayloadTooLarge(EnvelopeError):
    status = 413


class UnsupportedEncoding(EnvelopeError):
    status = 415


def json_kind(value: object) -> str:
    """A JSON value's type in words, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
