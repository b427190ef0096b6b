"""The Sentry SDKs' endpoints, mounted at `/api`: `POST /api/<project>/envelope/` and the legacy
`POST /api/<project>/store/`. The environment's DSN (`SENTRY_DSN`, given to its instances) names
the project and its key; the key comes in `X-Sentry-Auth`, `?sentry_key=` or the envelope's
header. A wrong key is a 401, a body over the cap a 413 (read no further), a malformed one a 400
with nothing stored, and a project sending faster than its limit a 429 with `Retry-After`, which
the SDKs honour.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from launchdeck.controlplane.errors import ApiError, TooLarge, Unauthorized
from launchdeck.controlplane.errortracking.encoding import decode_body
from launchdeck.controlplane.errortracking.envelope import parse_auth, parse_envelope, parse_store
from launchdeck.controlplane.errortracking.store import Project
from launchdeck.controlplane.errortracking.tracker import ErrorTracker

MAX_BODY = 1024 * 1024  # bytes of a request body, compressed or not, and of it decoded
RATE = 200.0  # events per second a project may send, on average
BURST = 2000.0  # and at once


class RateLimited(ApiError):
    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            f"too many events: this DSN may send {RATE:g} per second ({BURST:g} at once)",
            f"retry after {math.ceil(retry_after)} s; the Sentry SDKs wait by themselves",
        )
        self.retry_after = retry_after


class Buckets:
    """A token bucket per project."""

    def __init__(self, *, rate: float = RATE, burst: float = BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._rate, self._burst, self._clock = rate, burst, clock
        self._lock = threading.Lock()
        self._tokens: dict[int, tuple[float, float]] = {}  # project -> (tokens, at)

    def take(self, project: int, count: int) -> None:
        with self._lock:
            now = self._clock()
            tokens, at = self._tokens.get(project, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            if tokens < count:
                self._tokens[project] = (tokens, now)
                raise RateLimited((count - tokens) / self._rate)
            self._tokens[project] = (tokens - count, now)


def create_ingest(tracker: ErrorTracker, buckets: Buckets | None = None) -> FastAPI:
    ingest = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    limits = buckets or Buckets()

    @ingest.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(math.ceil(exc.retry_after))
        return JSONResponse(
            {"error": exc.message, "fix": exc.fix}, status_code=exc.status, headers=headers
        )

    @ingest.post("/{project_id}/envelope/")
    async def envelope(project_id: str, request: Request) -> JSONResponse:
        project, key = _project(tracker, project_id), _key(request)
        if key is not None:
            _check(project, key)  # before reading the body: a stranger's bytes are not read
        parsed = parse_envelope(await _body(request))
        _check(project, key or parsed.dsn_key)
        return await _accept(tracker, limits, project, list(parsed.events), request)

    @ingest.post("/{project_id}/store/")
    async def store(project_id: str, request: Request) -> JSONResponse:
        project = _project(tracker, project_id)
        _check(project, _key(request))
        event = parse_store(await _body(request))
        return await _accept(tracker, limits, project, [event], request)

    return ingest


async def _accept(
    tracker: ErrorTracker, limits: Buckets, project: Project, events: list[Any], request: Request
) -> JSONResponse:
    if events:
        limits.take(project.id, len(events))
    client = request.client.host if request.client else None
    ids = await run_in_threadpool(tracker.ingest, project, events, client)
    return JSONResponse({"id": ids[0] if ids else None})


def _project(tracker: ErrorTracker, project_id: str) -> Project:
    project = tracker.store.project(int(project_id)) if project_id.isdigit() else None
    if project is None:
        raise _unknown()
    return project


def _key(request: Request) -> str | None:
    header = request.headers.get("x-sentry-auth") or request.headers.get("authorization")
    return parse_auth(header, request.query_params)


def _check(project: Project, key: str | None) -> None:
    if key is None or not hmac.compare_digest(key.encode(), project.public_key.encode()):
        raise _unknown()


def _unknown() -> Unauthorized:
    return Unauthorized(
        "not the key of this project's DSN",
        "use the SENTRY_DSN launchdeck gives the app's instances (launchdeck errors dsn)",
    )


async def _body(request: Request) -> bytes:
    """The body, decoded, refusing at once what is over the cap (by Content-Length or as read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large()
        chunks.append(chunk)
    return decode_body(b"".join(chunks), request.headers.get("content-encoding"), limit=MAX_BODY)


def _too_large() -> TooLarge:
    return TooLarge(
        f"the body is over {MAX_BODY // 1024} KiB",
        "send fewer or smaller events (the Sentry SDKs trim events to fit)",
    )
