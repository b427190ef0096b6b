"""An SDK request body with its Content-Encoding undone, never past a size limit: gzip and
deflate through zlib with `max_length`, br through Brotli (1.2 or later, whose decoder takes an
output limit) when it is installed. A zip bomb stops at `limit` + 1 bytes."""

from __future__ import annotations

import importlib
import zlib
from typing import Any

from launchdeck.controlplane.errortracking.errors import (
    EnvelopeError,
    MalformedEnvelope,
    PayloadTooLarge,
    UnsupportedEncoding,
)

BROTLI_CHUNK = 64 * 1024
ENCODINGS = "gzip, deflate, br (with the Brotli module) or identity"


def decode_body(body: bytes, content_encoding: str | None, *, limit: int) -> bytes:
    """The body with its Content-Encoding undone, never more than `limit` bytes of it."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise _too_large("the body", limit)
        return body
    if encoding in ("gzip", "x-gzip"):
        return _inflate(body, 16 + zlib.MAX_WBITS, limit, "gzip")
    if encoding == "deflate":
        # RFC 9110's deflate is zlib-wrapped; some clients send the raw stream
        wbits = zlib.MAX_WBITS if _zlib_header(body) else -zlib.MAX_WBITS
        return _inflate(body, wbits, limit, "deflate")
    if encoding == "br":
        return _unbrotli(body, limit)
    raise UnsupportedEncoding(
        f"Content-Encoding {content_encoding!r} is not supported: use {ENCODINGS}",
        "send gzip (the Sentry SDKs' default) or no Content-Encoding",
    )


def _inflate(body: bytes, wbits: int, limit: int, name: str) -> bytes:
    out, rest = bytearray(), body
    try:
        while True:  # a gzip body may hold several members, one after another
            stream = zlib.decompressobj(wbits)
            out += stream.decompress(rest, limit - len(out) + 1)
            if len(out) > limit:
                raise _too_large(f"the {name} body", limit)
            if not stream.eof:
                raise _corrupt(name, "it ends before its compressed stream does")
            rest = stream.unused_data
            if not rest:
                return bytes(out)
            if name != "gzip":
                raise _corrupt(name, "trailing bytes after its compressed stream")
    except zlib.error as exc:
        raise _corrupt(name, str(exc)) from None


def _unbrotli(body: bytes, limit: int) -> bytes:
    decoder = _brotli_decompressor()
    chunks = iter(body[i : i + BROTLI_CHUNK] for i in range(0, len(body), BROTLI_CHUNK))
    out = bytearray()
    try:
        while not decoder.is_finished():
            data: bytes | None = b""
            if decoder.can_accept_more_data():
                data = next(chunks, None)
            if data is None:
                raise _corrupt("br", "it ends before its compressed stream does")
            out += decoder.process(data, output_buffer_limit=limit - len(out) + 1)
            if len(out) > limit:
                raise _too_large("the br body", limit)
    except EnvelopeError:
        raise
    except Exception as exc:  # brotli.error, whose class is only known once it is imported
        raise _corrupt("br", str(exc) or type(exc).__name__) from None
    if next(chunks, b""):
        raise _corrupt("br", "trailing bytes after its compressed stream")
    return bytes(out)


def _brotli_decompressor() -> Any:
    try:
        decoder = importlib.import_module("brotli").Decompressor()
    except ImportError:
        decoder = None
    if decoder is None or not hasattr(decoder, "can_accept_more_data"):
        raise UnsupportedEncoding(
            "Content-Encoding 'br' needs the Brotli module (1.2 or later, which can bound "
            "its output) on the control plane",
            "install Brotli>=1.2 on the control plane, or have the SDK send gzip "
            '(Python: sentry_sdk.init(_experiments={"transport_compression_algo": "gzip"}))',
        )
    return decoder


def _zlib_header(body: bytes) -> bool:
    return len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0


def _too_large(what: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"{what} is more than {limit} bytes once decompressed",
        f"send smaller envelopes: fewer events, no large attachments (the limit is {limit} bytes)",
    )


def _corrupt(name: str, problem: str) -> MalformedEnvelope:
    return MalformedEnvelope(
        f"the body is not valid {name} data: {problem}",
        f"compress the body with {name} as its Content-Encoding says, or drop the header",
    )
