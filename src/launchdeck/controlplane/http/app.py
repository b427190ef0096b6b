"""The API assembled: authentication for every call, one router per resource, the audit of every
change and every reveal, and errors as `{"error": ..., "fix": ...}`."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from launchdeck.controlplane.access.owner import OwnerToken
from launchdeck.controlplane.errors import ApiError, DriverFailed, Unavailable
from launchdeck.controlplane.errortracking.ingest import create_ingest
from launchdeck.controlplane.flags.feed import create_feed
from launchdeck.controlplane.http.routes import (
    addons,
    apps,
    autoscale,
    canary,
    config,
    cron,
    databases,
    deploys,
    domains,
    envs,
    errors,
    flags,
    metrics,
    runs,
    settings,
    tokens,
)
from launchdeck.controlplane.http.security import Authenticate, check_declared
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.controlplane.runs.attach import create_attach
from launchdeck.controlplane.web import create_web
from launchdeck.system.errors import LaunchdeckError

INVALID_REQUEST_FIX = (
    "check the request's fields against the API's shape (served at /docs when the server runs "
    "with LAUNCHDECK_API_DOCS=1)"
)

log = logging.getLogger("launchdeck.api")


def create_api(cp: ControlPlane, token: str | OwnerToken) -> FastAPI:
    owner = OwnerToken.of(token)  # the daemon passes one it can rotate; tests, a plain string
    # /docs, /redoc and /openapi.json show the API's shape (routes, fields), never data, and
    # answer without a token: off unless the server is started with LAUNCHDECK_API_DOCS=1
    docs = cp.settings.api_docs
    authenticate = Authenticate(owner, cp.store)
    app = FastAPI(
        title="launchdeck",
        dependencies=[Depends(authenticate)],
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    routers = (
        apps,
        deploys,
        envs,
        config,
        addons,
        domains,
        databases,
        metrics,
        autoscale,
        canary,
        flags,
        errors,
        runs,
        cron,
        settings,
    )
    for resource in routers:
        app.include_router(resource.router(cp))
    app.include_router(tokens.router(cp, owner))
    check_declared(app.routes)
    app.add_middleware(AuditedPaths, audit=Audit(cp))
    add_error_handlers(app)
    app.mount("/api", create_ingest(cp.errors))  # the Sentry SDKs', with the DSN's key
    app.mount("/flags", create_feed(cp.flags))  # apps' flag feed, with their flag token
    app.mount("/attach", create_attach(cp.runs))  # one-off runs, with their one-time key
    app.mount("/", create_web(app, authenticate))  # the dashboard: every path the API has not
    return app


class AuditedPaths:
    """The audit for the API's paths only: the SDKs' ingest, apps' flag feed and the dashboard's
    pages (whose API calls are audited themselves) skip it, and its cost."""

    def __init__(self, app: ASGIApp, audit: Audit) -> None:
        self.app = app
        self.audited = BaseHTTPMiddleware(app, dispatch=audit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        api = scope["type"] == "http" and scope["path"].startswith("/v1/")
        await (self.audited if api else self.app)(scope, receive, send)


class Audit:
    """Every change and every reveal of secrets, allowed or refused: who, role, what, the
    answer's status. A reveal whose record cannot be written is not answered."""

    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    async def __call__(self, request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        reveal = getattr(request.state, "reveal", False)  # set by the route, from reveal_flag
        if request.method in ("GET", "HEAD") and not reveal:
            return response
        if not request.url.path.startswith("/v1/"):
            return response  # a dashboard form: the API calls it makes are audited themselves
        who = getattr(request.state, "principal", None)
        entry = (
            time.time(),
            who.name if who else "unknown",
            who.role.value if who else "-",
            f"{request.method} {request.url.path}" + ("?reveal=true" if reveal else ""),
            response.status_code,
        )
        try:
            await run_in_threadpool(self.cp.store.add_audit, *entry)
        except Unavailable as exc:
            log.error("audit record not written (%s): %s", exc.message, entry)
            if reveal:  # no secret leaves without a record of who read it
                return JSONResponse({"error": exc.message, "fix": exc.fix}, status_code=503)
        return response


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in exc.errors()
        )
        return JSONResponse(
            {"error": f"invalid request: {problems}", "fix": INVALID_REQUEST_FIX}, status_code=422
        )

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "fix": exc.fix}, status_code=exc.status)

    @app.exception_handler(LaunchdeckError)
    async def driver_error(_request: Request, exc: LaunchdeckError) -> JSONResponse:
        # a driver's own error (HAProxy, an add-on, the host's accounts) carries its fix
        log.warning("driver error: %s", exc)
        fix = exc.fix or "retry; if it keeps failing, see $LAUNCHDECK_HOME/server.log"
        return JSONResponse({"error": exc.message, "fix": fix}, status_code=DriverFailed.status)

    @app.exception_handler(OSError)
    async def host_error(_request: Request, exc: OSError) -> JSONResponse:
        log.warning("host error: %s", exc)
        return JSONResponse(
            {
                "error": f"the host refused: {exc.strerror or exc}",
                "fix": "check the disk space and permissions of $LAUNCHDECK_HOME, then retry; "
                "details in $LAUNCHDECK_HOME/server.log",
            },
            status_code=Unavailable.status,
        )

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        # a bug still answers in the API's shape (the traceback goes to the server log)
        return JSONResponse(
            {
                "error": f"internal error ({type(exc).__name__})",
                "fix": "retry; if it keeps failing, see $LAUNCHDECK_HOME/server.log",
            },
            status_code=500,
        )
