"""What the Sentry SDKs send, read: real sentry-sdk envelopes (kept in-process, and as its HTTP
transport sends them), the envelope format's edge cases, bounded decompression, the auth header,
and SDK event payloads of every shape read into ErrorEvents."""

from __future__ import annotations

import gzip
import importlib.util
import json
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import sentry_sdk

from launchdeck.controlplane.errortracking import (
    EnvelopeError,
    MalformedEnvelope,
    PayloadTooLarge,
    UnsupportedEncoding,
    decode_body,
    event_of,
    parse_auth,
    parse_envelope,
    parse_store,
)
from tests.sentry_events import (
    RELEASE,
    checkout,
    envelopes_of,
    logged,
    reported,
    sdk,
)

NOW = 1_800_000_000.0
LIMIT = 1024 * 1024
EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"


def envelope(*lines: bytes) -> bytes:
    return b"\n".join(lines)


def test_an_sdk_envelope_holds_the_event_the_app_reported() -> None:
    (raw,) = envelopes_of(reported(checkout, {"amount": 5, "quantity": 0}))

    parsed = parse_envelope(raw)

    (payload,) = parsed.events
    assert parsed.event_id == payload["event_id"] and parsed.ignored == ()
    event = event_of(payload, received_at=NOW)
    assert (event.exception_type, event.exception_value) == ("RuntimeError", "checkout failed")
    assert (event.release, event.environment, event.platform) == (RELEASE, "production", "python")
    assert event.frames == ("tests.sentry_events in action", "tests.sentry_events in checkout")
    assert event.title == "RuntimeError: checkout failed"
    assert event.culprit == "tests.sentry_events in checkout"
    assert len(event.group_key) == 16 and abs(event.timestamp - time.time()) < 60


def test_a_logged_error_keeps_its_formatted_message_and_logger() -> None:
    (raw,) = envelopes_of(logged("order %s failed", 42))

    event = event_of(parse_envelope(raw).events[0], received_at=NOW)

    assert (event.message, event.logger, event.exception_type) == (
        "order 42 failed",
        "shop.orders",
        None,
    )
    assert event.title == "order 42 failed"


def test_a_transaction_envelope_is_accepted_and_holds_no_event() -> None:
    def traced() -> None:
        with sentry_sdk.start_transaction(name="GET /checkout"):
            pass

    (raw,) = envelopes_of(traced, traces_sample_rate=1.0)

    parsed = parse_envelope(raw)
    assert (parsed.events, parsed.ignored) == ((), ("transaction",))


class Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[int, list[tuple[str, dict[str, str], bytes]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    Recorder.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


def test_what_the_sdks_http_transport_sends_is_decoded_authenticated_and_read(
    collector: tuple[int, list[tuple[str, dict[str, str], bytes]]],
) -> None:
    port, requests = collector
    dsn = f"http://publickey@127.0.0.1:{port}/1"
    with sdk(dsn=dsn, transport=None, http_proxy=""):
        reported(checkout, {"amount": 5, "quantity": 0})()
        sentry_sdk.flush(timeout=10)

    ((path, headers, body),) = requests
    assert path == "/api/1/envelope/"
    assert parse_auth(headers["X-Sentry-Auth"], {}) == "publickey"
    encoding = headers.get("Content-Encoding")
    assert encoding in ("gzip", "br")
    decoded = decode_body(body, encoding, limit=LIMIT)
    (payload,) = parse_envelope(decoded).events
    assert event_of(payload, received_at=NOW).exception_type == "RuntimeError"


def test_items_with_and_without_a_length_and_payloads_holding_newlines() -> None:
    pretty = json.dumps({"message": "two\nlines", "level": "warning"}, indent=2).encode()
    attachment = b"line one\nline two\n"
    raw = envelope(
        b'{"event_id":"%s","dsn":"https://abc123@o1.ingest.example/42"}' % EVENT_ID.encode(),
        b'{"type":"attachment","length":%d,"filename":"log.txt"}' % len(attachment),
        attachment,
        b'{"type":"event","length":%d}' % len(pretty),
        pretty,
        b'{"type":"event"}',
        b'{"message":"no length","level":"info"}',
        b'{"type":"client_report"}',
        b'{"discarded_events":[]}',
        b'{"type":"session","length":2}',
        b"{}",
    )

    parsed = parse_envelope(raw)

    assert [e["message"] for e in parsed.events] == ["two\nlines", "no length"]
    assert parsed.ignored == ("attachment", "client_report", "session")
    assert (parsed.dsn_key, parsed.event_id) == ("abc123", EVENT_ID)
    assert parsed.events[1]["event_id"] == EVENT_ID  # taken from the envelope header


def test_an_envelope_may_end_without_a_newline_and_hold_only_its_header() -> None:
    assert parse_envelope(b'{}\n{"type":"event","length":2}\n{}').events == ({},)
    assert parse_envelope(b'{"sent_at":"2026-01-02T03:04:05Z"}\n').sent_at == (
        "2026-01-02T03:04:05Z"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "the envelope is empty"),
        (b"{not json\n", "the envelope header is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"[1]\n", "the envelope header should be a JSON object (got an array)"),
        (b'{"dsn":7}\n', "the envelope header: dsn should be a string (got a number)"),
        (b'{}\n{"type":"event","length":100}\n{"level":"error"}', "item 0: its header says 100 bytes but 17 follow: the envelope is truncated"),
        (b'{}\n{"type":"event","length":2}\n{}XX\n', "item 0: a newline should follow its 2-byte payload (got b'XX\\n')"),
        (b'{}\n{"type":"event","length":-1}\n{}', "item 0: its length should be a whole number of bytes (got -1)"),
        (b'{}\n{"type":"event","length":"2"}\n{}', "item 0: its length should be a whole number of bytes (got '2')"),
        (b'{}\n{"type":"session"}\n{}\n{"length":2}\n{}', "item 1: its header has no type"),
        (b'{}\n{"type":"session"}\n{}\nnope\n', "item 1: its header is not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        (b'{}\n{"type":"event"}\n[1, 2]\n', "item 0 (event): its payload should be a JSON object (got an array)"),
        (b'{}\n{"type":"event"}\n"text"\n', "item 0 (event): its payload should be a JSON object (got a string)"),
        (b'{}\n{"type":"event"}\n\xff\xfe\x00\n', "item 0 (event): its payload is not valid JSON: 'utf-16-le' codec can't decode byte 0x00 in position 2: truncated data"),
        (b'{}\n{"type":"event"}\n' + b"[" * 100_000 + b"\n", "item 0 (event): its payload is not valid JSON: maximum recursion depth exceeded while decoding a JSON array from a unicode string"),
    ],
)  # fmt: skip
def test_a_malformed_envelope_names_the_item_and_the_problem(raw: bytes, message: str) -> None:
    with pytest.raises(MalformedEnvelope) as caught:
        parse_envelope(raw)

    assert caught.value.message == message
    assert caught.value.http_status == 400
    assert caught.value.fix


def test_the_legacy_store_endpoint_takes_one_json_object() -> None:
    assert parse_store(b'{"message":"hi"}') == {"message": "hi"}
    with pytest.raises(
        MalformedEnvelope, match=r"^the event should be a JSON object \(got an array\)"
    ):
        parse_store(b"[]")


# decoding


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes gzipped, compressed a megabyte at a time (never all in memory)."""
    stream = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1 << 20)
    out = [stream.compress(chunk) for _ in range(size >> 20)]
    return b"".join([*out, stream.flush()])


def test_gzip_deflate_and_identity_bodies_are_decoded() -> None:
    body = b'{}\n{"type":"event"}\n{"message":"hi"}\n'

    assert decode_body(gzipped(body), "gzip", limit=LIMIT) == body
    assert decode_body(gzipped(body), " GZIP ", limit=LIMIT) == body
    assert decode_body(zlib.compress(body), "deflate", limit=LIMIT) == body
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert (
        decode_body(raw_deflate.compress(body) + raw_deflate.flush(), "deflate", limit=LIMIT)
        == body
    )
    assert decode_body(body, None, limit=LIMIT) == body
    assert decode_body(body, "identity", limit=LIMIT) == body
    assert decode_body(gzipped(body[:10]) + gzipped(body[10:]), "gzip", limit=LIMIT) == body


def test_a_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip_bomb(256 << 20)  # 256 MiB of zeros in about 250 KiB
    assert len(bomb) < 300_000

    started = time.monotonic()
    with pytest.raises(PayloadTooLarge) as caught:
        decode_body(bomb, "gzip", limit=LIMIT)

    assert time.monotonic() - started < 1.0  # it did not inflate the 256 MiB
    assert caught.value.http_status == 413
    assert caught.value.message == "the gzip body is more than 1048576 bytes once decompressed"
    assert caught.value.fix == (
        "send smaller envelopes: fewer events, no large attachments (the limit is 1048576 bytes)"
    )


def test_bodies_of_exactly_the_limit_pass_and_one_byte_more_does_not() -> None:
    body = b"x" * 1000
    assert decode_body(gzipped(body), "gzip", limit=1000) == body
    with pytest.raises(PayloadTooLarge):
        decode_body(gzipped(body + b"x"), "gzip", limit=1000)
    with pytest.raises(
        PayloadTooLarge, match=r"^the body is more than 1000 bytes once decompressed"
    ):
        decode_body(body + b"x", None, limit=1000)
    with pytest.raises(PayloadTooLarge):
        decode_body(gzipped(body[:600]) + gzipped(body), "gzip", limit=1000)


@pytest.mark.parametrize(
    ("body", "encoding", "message"),
    [
        (b"not gzip at all", "gzip", "the body is not valid gzip data: Error -3 while decompressing data: incorrect header check"),
        (gzip.compress(b"x" * 5000, mtime=0)[:-20], "gzip", "the body is not valid gzip data: it ends before its compressed stream does"),
        (zlib.compress(b"hello") + b"junk", "deflate", "the body is not valid deflate data: trailing bytes after its compressed stream"),
        (b"\x07\x00", "deflate", "the body is not valid deflate data: Error -3 while decompressing data: invalid block type"),
    ],
)  # fmt: skip
def test_corrupt_compressed_bodies_are_malformed(body: bytes, encoding: str, message: str) -> None:
    with pytest.raises(MalformedEnvelope) as caught:
        decode_body(body, encoding, limit=LIMIT)

    assert caught.value.message == message
    assert caught.value.fix == (
        f"compress the body with {encoding} as its Content-Encoding says, or drop the header"
    )


def test_an_unknown_encoding_is_unsupported() -> None:
    with pytest.raises(UnsupportedEncoding) as caught:
        decode_body(b"...", "compress", limit=LIMIT)

    assert caught.value.http_status == 415
    assert str(caught.value) == (
        "Content-Encoding 'compress' is not supported: use gzip, deflate, br (with the Brotli "
        "module) or identity; fix: send gzip (the Sentry SDKs' default) or no Content-Encoding"
    )


@pytest.mark.skipif(importlib.util.find_spec("brotli") is not None, reason="Brotli is installed")
def test_brotli_without_the_module_names_it() -> None:
    with pytest.raises(UnsupportedEncoding) as caught:
        decode_body(b"\x1b\x00", "br", limit=LIMIT)

    assert caught.value.http_status == 415
    assert caught.value.message == (
        "Content-Encoding 'br' needs the Brotli module (1.2 or later, which can bound its "
        "output) on the control plane"
    )
    assert "Brotli>=1.2" in caught.value.fix and "transport_compression_algo" in caught.value.fix


def test_brotli_bodies_are_decoded_within_the_limit_when_the_module_is_there() -> None:
    brotli = pytest.importorskip("brotli")
    body = b'{}\n{"type":"event"}\n{"message":"hi"}\n'

    assert decode_body(brotli.compress(body), "br", limit=LIMIT) == body
    with pytest.raises(PayloadTooLarge):
        decode_body(brotli.compress(b"\0" * (64 << 20)), "br", limit=LIMIT)
    with pytest.raises(MalformedEnvelope):
        decode_body(brotli.compress(body)[:-3], "br", limit=LIMIT)


def test_every_error_has_its_status() -> None:
    assert issubclass(PayloadTooLarge, EnvelopeError)
    assert [
        cls("m").http_status for cls in (MalformedEnvelope, PayloadTooLarge, UnsupportedEncoding)
    ] == [400, 413, 415]


# auth


@pytest.mark.parametrize(
    ("header", "query", "key"),
    [
        ("Sentry sentry_key=abc123, sentry_version=7, sentry_client=sentry.python/2.0", {}, "abc123"),
        ("Sentry sentry_version=7,sentry_client=raven-js/3.0,sentry_key=abc123", {}, "abc123"),
        ("sentry  sentry_key = abc123 , sentry_secret=s", {}, "abc123"),
        ('Sentry sentry_key="abc123", sentry_version=7', {}, "abc123"),
        ("sentry_key=abc123, sentry_version=7", {}, "abc123"),
        ("Bearer some-token", {"sentry_key": "fromquery"}, "fromquery"),
        ("Sentry sentry_version=7", {"sentry_key": "fromquery"}, "fromquery"),
        ("Sentry sentry_key=, sentry_version=7", {}, None),
        (None, {"sentry_key": "abc123", "sentry_version": "7"}, "abc123"),
        (None, {}, None),
        ("", {"sentry_key": " "}, None),
    ],
)  # fmt: skip
def test_the_sdks_key_comes_from_its_auth_header_or_the_query(
    header: str | None, query: dict[str, str], key: str | None
) -> None:
    assert parse_auth(header, query) == key


# events of every shape


def test_an_event_of_another_sdks_shape_is_read() -> None:
    payload = {
        "event_id": "9EC79C33-EC99-42AB-8353-589FCB2E04DC",
        "timestamp": 1_700_000_000.25,
        "platform": "javascript",
        "level": "Warning",
        "exception": [
            {
                "type": "TypeError",
                "value": "x is undefined",
                "stacktrace": {
                    "frames": [
                        {
                            "filename": "https://shop.example/static/app.3f9.js?v=2",
                            "function": "pay",
                            "in_app": True,
                        },
                        {
                            "filename": "webpack:///./node_modules/react/index.js",
                            "function": "render",
                            "in_app": False,
                        },
                    ]
                },
            },
        ],
        "request": {"url": "https://shop.example/checkout/pay?step=2#top", "method": "POST"},
        "user": {"email": "ada@example.com", "ip_address": "10.0.0.1"},
        "tags": [["browser", "Firefox"], ["retries", 3], ["absent", None]],
        "transaction": "/checkout/:step",
    }

    event = event_of(payload, received_at=NOW)

    assert event.event_id == EVENT_ID
    assert (event.timestamp, event.level, event.platform) == (
        1_700_000_000.25,
        "warning",
        "javascript",
    )
    assert (event.release, event.environment, event.message) == (None, None, "")
    assert event.frames == ("app.3f9.js in pay",)
    assert (event.path, event.transaction) == ("/checkout/pay", "/checkout/:step")
    assert event.user == "ada@example.com"
    assert event.tags == {"browser": "Firefox", "retries": "3"}
    assert (event.title, event.culprit) == ("TypeError: x is undefined", "app.3f9.js in pay")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"message": "plain"}, "plain"),
        ({"message": {"formatted": "done", "message": "do %s"}}, "done"),
        ({"message": {"message": "do %s", "params": ["it"]}}, "do it"),
        ({"logentry": {"message": "%(n)s left", "params": {"n": 3}}}, "3 left"),
        ({"logentry": {"message": "bad %d", "params": ["x"]}}, "bad %d"),
        ({"logentry": {"formatted": "from logentry"}, "message": "ignored"}, "from logentry"),
        ({}, ""),
    ],
)
def test_the_message_is_read_from_each_of_its_shapes(fields: dict[str, Any], message: str) -> None:
    assert event_of(fields, received_at=NOW).message == message


@pytest.mark.parametrize(
    ("timestamp", "seconds"),
    [
        ("2023-11-14T22:13:20Z", 1_700_000_000.0),
        ("2023-11-14T22:13:20.500000+00:00", 1_700_000_000.5),
        ("2023-11-14T23:13:20.5+01:00", 1_700_000_000.5),
        ("2023-11-14T22:13:20", 1_700_000_000.0),
        ("1700000000.5", 1_700_000_000.5),
        (1_700_000_000, 1_700_000_000.0),
        (None, NOW),
    ],
)
def test_timestamps_are_rfc3339_or_epoch_seconds(timestamp: object, seconds: float) -> None:
    assert event_of({"timestamp": timestamp}, received_at=NOW).timestamp == seconds


@pytest.mark.parametrize(
    ("user", "client_ip", "key"),
    [
        ({"id": 42, "email": "a@example.com"}, None, "42"),
        ({"email": "a@example.com", "ip_address": "10.0.0.1"}, None, "a@example.com"),
        ({"ip_address": "10.0.0.1"}, None, "10.0.0.1"),
        ({"ip_address": "{{auto}}"}, "192.0.2.7", "192.0.2.7"),
        ({"ip_address": "{{auto}}"}, None, None),
        ({"username": "ada"}, None, None),
        (None, None, None),
    ],
)
def test_the_user_is_its_id_else_email_else_address(
    user: dict[str, Any] | None, client_ip: str | None, key: str | None
) -> None:
    assert event_of({"user": user}, received_at=NOW, client_ip=client_ip).user == key


@pytest.mark.parametrize(
    ("url", "path"),
    [("http://h.example", "/"), ("/orders/7?x=1", "/orders/7"), ("", None), ("http://[::1", None)],
)
def test_the_request_path_comes_from_its_url(url: str, path: str | None) -> None:
    assert event_of({"request": {"url": url}}, received_at=NOW).path == path


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "event: should be a JSON object (got an array)"),
        ({"exception": "boom"}, "event.exception: should be a list of exceptions (got a string)"),
        ({"exception": {"values": {"type": "E"}}}, "event.exception.values: should be a list of exceptions (got an object)"),
        ({"exception": {"values": [1]}}, "event.exception.values[0]: should be an object (got a number)"),
        ({"exception": [{"type": ["E"]}]}, "event.exception[0].type: should be a string (got an array)"),
        ({"exception": [{"type": "E", "stacktrace": []}]}, "event.exception[0].stacktrace: should be an object (got an array)"),
        ({"exception": [{"stacktrace": {"frames": {}}}]}, "event.exception[0].stacktrace.frames: should be a list (got an object)"),
        ({"exception": [{"stacktrace": {"frames": [None]}}]}, "event.exception[0].stacktrace.frames[0]: should be an object (got null)"),
        ({"exception": [{"stacktrace": {"frames": [{"function": {}}]}}]}, "event.exception[0].stacktrace.frames[0].function: should be a string (got an object)"),
        ({"exception": [{"stacktrace": {"frames": [{"in_app": "yes"}]}}]}, "event.exception[0].stacktrace.frames[0].in_app: should be true or false (got a string)"),
        ({"fingerprint": "mine"}, "event.fingerprint: should be a list of strings (got a string)"),
        ({"fingerprint": [["a"]]}, "event.fingerprint: should be a list of strings (got an array)"),
        ({"event_id": "not-hex"}, "event.event_id: should be 32 hex digits (got a string)"),
        ({"timestamp": "yesterday"}, "event.timestamp: should be RFC 3339 or seconds since the epoch (got a string)"),
        ({"timestamp": True}, "event.timestamp: should be RFC 3339 or seconds since the epoch (got a boolean)"),
        ({"timestamp": "nan"}, "event.timestamp: should be RFC 3339 or seconds since the epoch (got a string)"),
        ({"message": ["a"]}, "event.message: should be an object (got an array)"),
        ({"logentry": {"message": {"x": 1}}}, "event.logentry.message: should be a string (got an object)"),
        ({"request": "GET /"}, "event.request: should be an object (got a string)"),
        ({"user": {"id": {"n": 1}}}, "event.user.id: should be a string (got an object)"),
        ({"user": ["ada"]}, "event.user: should be an object (got an array)"),
        ({"tags": "a=b"}, "event.tags: should be an object or a list of [key, value] pairs (got a string)"),
        ({"tags": [["a"]]}, "event.tags: should be an object or a list of [key, value] pairs (got an array)"),
        ({"tags": {"a": [1]}}, "event.tags.a: should be a string (got an array)"),
        ({"release": {"v": 1}}, "event.release: should be a string (got an object)"),
    ],
)  # fmt: skip
def test_bad_types_in_an_event_are_malformed_never_a_crash(payload: Any, message: str) -> None:
    with pytest.raises(MalformedEnvelope) as caught:
        event_of(payload, received_at=NOW)

    assert caught.value.message == message
    assert caught.value.fix == (
        "send events as the Sentry SDKs do (https://develop.sentry.dev/sdk/event-payloads/)"
    )


def test_an_event_without_an_id_gets_one() -> None:
    first, second = (event_of({}, received_at=NOW).event_id for _ in range(2))
    assert len(first) == 32 and first != second
