"""The flag feed apps read, mounted at `/flags`: `GET /flags/v1/set` answers the environment's
flag set with an ETag, or holds the request (a long poll, up to `?wait=` seconds) until the set
changes; `POST /flags/v1/set/app-versions` reports an app version a client saw.

A flag token (`LAUNCHDECK_FLAGS_TOKEN`, given to the environment's instances) is the only way in,
and it reads one environment's flags and nothing else: API tokens are refused here, and a flag
token is refused by the API.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from launchdeck.controlplane.errors import ApiError, Unauthorized
from launchdeck.controlplane.flags.service import Flags

MAX_WAIT = 30.0  # seconds a long poll is held at most
POLL = 0.1  # how often a held request looks at the version (an in-memory read)
SET = "/v1/set"


def create_feed(flags: Flags) -> FastAPI:
    feed = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @feed.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "fix": exc.fix}, status_code=exc.status)

    def environment(authorization: str | None) -> tuple[str, str]:
        scheme, _, token = (authorization or "").partition(" ")
        found = flags.store.environment_of(token.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise Unauthorized(
                "not a flag token of any environment",
                "use the LAUNCHDECK_FLAGS_TOKEN launchdeck gives the app's instances",
            )
        return found

    @feed.get(SET)
    async def flag_set(
        wait: float = 0.0,
        authorization: Annotated[str | None, Header()] = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        app, env = environment(authorization)
        seen = (if_none_match or "").strip().strip('"')
        deadline = time.monotonic() + min(max(wait, 0.0), MAX_WAIT)
        while str(flags.store.version(app, env)) == seen:
            if time.monotonic() >= deadline:
                return Response(status_code=304, headers={"ETag": f'"{seen}"'})
            await asyncio.sleep(POLL)
        body = await run_in_threadpool(flags.flag_set, app, env)
        return JSONResponse(body, headers={"ETag": f'"{body["version"]}"'})

    @feed.post(SET + "/app-versions", status_code=204)
    async def app_version(
        body: Annotated[dict[str, Any], Body()],
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        app, env = environment(authorization)
        await run_in_threadpool(flags.report_app_version, app, env, body.get("app_version"))
        return Response(status_code=204)

    return feed
