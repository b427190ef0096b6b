"""Error tracking: what the Sentry SDKs send to `POST /api/<project>/envelope/` (and the legacy
`/store/`), grouped, counted, triaged and paged.

Owns: undoing the body's Content-Encoding within a size limit, so a zip bomb stops there
(encoding); the envelope format and the SDK's key from `X-Sentry-Auth` (envelope); an event
payload read into an `ErrorEvent`, grouped by planning.triage (events); the exceptions, each with
the HTTP status to answer (errors); `errors.db`, the projects (DSNs), groups, recent events and
incidents (store); the use cases: ingest, triage, incidents posted to the `[notify]` webhooks,
resolve and ignore (tracker); the SDK endpoints with their key check, size cap and per-DSN rate
limit (ingest). Must not import: drivers, execution.
"""

from launchdeck.controlplane.errortracking.encoding import decode_body
from launchdeck.controlplane.errortracking.envelope import (
    Envelope,
    parse_auth,
    parse_envelope,
    parse_store,
)
from launchdeck.controlplane.errortracking.errors import (
    EnvelopeError,
    MalformedEnvelope,
    PayloadTooLarge,
    UnsupportedEncoding,
)
from launchdeck.controlplane.errortracking.events import event_of

__all__ = [
    "Envelope",
    "EnvelopeError",
    "MalformedEnvelope",
    "PayloadTooLarge",
    "UnsupportedEncoding",
    "decode_body",
    "event_of",
    "parse_auth",
    "parse_envelope",
    "parse_store",
]
