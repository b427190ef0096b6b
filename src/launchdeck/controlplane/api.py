"""The HTTP API. Every route needs `Authorization: Bearer <token>`; errors are
`{"error": ..., "fix": ...}` with a 4xx status, or 503 while the database is locked or failing.
/docs, /redoc and /openapi.json exist only with LAUNCHDECK_API_DOCS=1, and answer without a
token: they show the API's shape, never data."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from launchdeck.build import BuildError, detect_kind
from launchdeck.controlplane.api_addons import add_addon_routes
from launchdeck.controlplane.api_backups import add_backup_routes
from launchdeck.controlplane.api_domains import add_domain_routes
from launchdeck.controlplane.auth import (
    Permission,
    Principal,
    Role,
    authorize,
    new_token,
    permission_for,
    token_hash,
)
from launchdeck.controlplane.domains import check_generated_free, check_manifest_domains
from launchdeck.controlplane.errors import (
    ApiError,
    Conflict,
    Invalid,
    NotFound,
    Unauthorized,
    Unavailable,
    unknown_app,
    unknown_env,
)
from launchdeck.controlplane.git import environment_for
from launchdeck.controlplane.logs import LogQuery
from launchdeck.controlplane.owner import OwnerToken, add_owner_routes
from launchdeck.controlplane.promotion import promotion_json
from launchdeck.controlplane.secrets import MASK
from launchdeck.controlplane.service import ControlPlane, deployment_json, event_json
from launchdeck.controlplane.store import EnvState, TokenRecord
from launchdeck.controlplane.uploads import UPLOAD_LIMITS, receive, unpack
from launchdeck.domain import NAME_RE, Manifest
from launchdeck.manifest import ManifestError, load_manifest
from launchdeck.manifest.rules import scale_cap_issues

DEFAULT_ENVS = ["staging", "production"]
TOKEN_NAME_RE = re.compile(r"[A-Za-z0-9._@-]{1,64}")
INVALID_REQUEST_FIX = (
    "check the request's fields against the API's shape (served at /docs when the server runs "
    "with LAUNCHDECK_API_DOCS=1)"
)

log = logging.getLogger("launchdeck.api")


def reveal_flag(raw: str) -> bool:
    """`?reveal=`: exactly `true` or `false`. The one place it is read: the route and the audit
    both go by this answer, so no spelling can reveal without a record."""
    if raw not in ("true", "false"):
        raise Invalid(
            f"reveal should be true or false (got {raw!r})",
            "use ?reveal=true (admin tokens only) or leave it out",
        )
    return raw == "true"


class CreateApp(BaseModel):
    name: str


class Rollback(BaseModel):
    version: int | None = None


class Promote(BaseModel):
    source: str = Field(alias="from")


class Scale(BaseModel):
    counts: dict[str, int]


class Restart(BaseModel):
    service: str | None = None


class CreateToken(BaseModel):
    role: Role
    name: str | None = None


class ConfigChange(BaseModel):
    set: dict[str, str] = {}
    unset: list[str] = []
    secret: bool = False  # the values in `set` are secrets


OWNER = Principal("owner", Role.ADMIN)  # whoever holds the token in $LAUNCHDECK_HOME/api.json


def create_api(cp: ControlPlane, token: str | OwnerToken) -> FastAPI:
    owner = OwnerToken.of(token)  # the daemon passes one it can rotate; tests, a plain string

    def principal(authorization: str | None) -> Principal:
        scheme, _, given = (authorization or "").partition(" ")
        given = given.strip()
        if scheme == "Bearer" and given:
            if owner.matches(given):
                return OWNER
            record = cp.store.token_by_hash(token_hash(given))
            if record is not None:
                return Principal(record.name, Role(record.role))
        raise Unauthorized(
            "missing or wrong API token", "check LAUNCHDECK_TOKEN or $LAUNCHDECK_HOME/api.json"
        )

    def auth(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
        who = principal(authorization)
        request.state.principal = who
        permission, env = permission_for(request.method, request.url.path, request.path_params)
        authorize(who, permission, env)

    # /docs, /redoc and /openapi.json show the API's shape (routes, fields), never data, and
    # answer without a token: off unless the server is started with LAUNCHDECK_API_DOCS=1
    docs = cp.settings.api_docs
    app = FastAPI(
        title="launchdeck",
        dependencies=[Depends(auth)],
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )

    @app.middleware("http")
    async def audit(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        reveal = getattr(request.state, "reveal", False)  # set by the route, from reveal_flag
        if request.method in ("GET", "HEAD") and not reveal:  # changes, and reading secrets
            return response
        who: Principal | None = getattr(request.state, "principal", None)
        entry = (
            time.time(),
            who.name if who else "unknown",
            who.role.value if who else "-",
            f"{request.method} {request.url.path}" + ("?reveal=true" if reveal else ""),
            response.status_code,
        )
        try:
            await run_in_threadpool(cp.store.add_audit, *entry)
        except Unavailable as exc:
            log.error("audit record not written (%s): %s", exc.message, entry)
            if reveal:  # no secret leaves without a record of who read it
                return JSONResponse({"error": exc.message, "fix": exc.fix}, status_code=503)
        return response

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

    def env_of(app_name: str, env: str) -> EnvState:
        if not cp.store.app_exists(app_name):
            raise unknown_app(app_name)
        state = cp.store.env(app_name, env)
        if state is None:
            raise unknown_env(app_name, env, [e.name for e in cp.store.envs(app_name)])
        return state

    def declared_env(app_name: str, env: str, manifest: Manifest) -> EnvState:
        """The environment to deploy to; one the manifest declares is created on first use,
        once `manifest` passed the checks only the server can make."""
        state = cp.store.env(app_name, env)
        new = state is None and env in manifest.environments and bool(NAME_RE.fullmatch(env))
        target = EnvState(app_name, env) if new else (state or env_of(app_name, env))
        check_deployable(target, manifest)
        if new:
            cp.store.save_env(target)
        return target

    def check_deployable(env: EnvState, manifest: Manifest) -> None:
        """What the manifest may ask of this server: scale within its cap, and hostnames that
        are the environment's to claim. Refused before anything is recorded."""
        over = scale_cap_issues(manifest, cp.settings.max_scale)
        if over:
            raise Invalid(str(ManifestError(over)), "lower the scale in launchdeck.toml")
        check_manifest_domains(cp.store, env, manifest)

    @app.post("/v1/tokens", status_code=201)
    def create_token(body: CreateToken) -> dict[str, Any]:
        token_id = secrets.token_hex(4)
        name = body.name or f"{body.role.value}-{token_id}"
        if not TOKEN_NAME_RE.fullmatch(name):
            raise Invalid(
                f"token name {name!r} is not valid: use 1-64 letters, digits, '.', '_', '@', '-'",
                "e.g. launchdeck tokens create --role deployer --name alice",
            )
        record = TokenRecord(token_id, name, body.role.value, time.time())
        secret = new_token()
        cp.store.add_token(record, token_hash(secret))
        return {**dataclasses.asdict(record), "token": secret}

    @app.get("/v1/tokens")
    def list_tokens() -> list[dict[str, Any]]:
        return [dataclasses.asdict(t) for t in cp.store.tokens()]

    @app.delete("/v1/tokens/{token_id}")
    def revoke_token(token_id: str) -> dict[str, Any]:
        if not cp.store.revoke_token(token_id, time.time()):
            raise NotFound(f"no active token {token_id!r}", "see: launchdeck tokens list")
        return {"id": token_id, "revoked": True}

    @app.get("/v1/audit")
    def audit_log(limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> list[dict[str, Any]]:
        return [dataclasses.asdict(e) for e in cp.store.audit(limit)]

    @app.get("/v1/status")
    def server_status() -> dict[str, Any]:
        return cp.server_status()

    @app.post("/v1/apps", status_code=201)
    def create_app(body: CreateApp) -> dict[str, Any]:
        if not NAME_RE.fullmatch(body.name):
            raise Invalid(
                f"app name {body.name!r} is not valid: use 1-30 lowercase letters, digits and '-', "
                "starting with a letter",
                "e.g. launchdeck apps create shop",
            )
        if cp.store.app_exists(body.name):
            raise Conflict(f"app {body.name!r} already exists", "pick another name")
        for env in DEFAULT_ENVS:
            check_generated_free(cp.store, body.name, env)
        cp.store.create_app(body.name, DEFAULT_ENVS, time.time())
        return {"name": body.name, "envs": DEFAULT_ENVS}

    @app.get("/v1/apps")
    def list_apps() -> list[dict[str, Any]]:
        return [cp.app_json(name) for name, _ in cp.store.apps()]

    @app.get("/v1/apps/{name}")
    def app_status(name: str) -> dict[str, Any]:
        if not cp.store.app_exists(name):
            raise unknown_app(name)
        return cp.app_json(name)

    @app.delete("/v1/apps/{name}")
    def destroy_app(name: str, confirm: str = "") -> dict[str, Any]:
        if not cp.store.app_exists(name):
            raise unknown_app(name)
        if confirm != name:
            raise Invalid(f"destroying {name!r} needs confirmation", f"add --confirm {name}")
        return cp.destroy(name)

    @app.get("/v1/apps/{name}/envs/{env}")
    def env_status(name: str, env: str) -> dict[str, Any]:
        return cp.env_json(env_of(name, env))

    @app.post("/v1/apps/{name}/envs/{env}/deploys", status_code=202)
    async def deploy(
        name: str, env: str, request: Request, git_sha: str | None = None
    ) -> dict[str, Any]:
        if not cp.store.app_exists(name):
            raise unknown_app(name)
        source = await _unpack(request, cp.home / "tmp")
        try:
            manifest = _app_manifest(source, "fix the app, then deploy again")
            state = declared_env(name, env, manifest)
        except ApiError:
            shutil.rmtree(source, ignore_errors=True)
            raise
        return deployment_json(cp.engine.deploy(state, source, manifest, git_sha))

    @app.post("/v1/apps/{name}/git")
    def git_repository(name: str) -> dict[str, Any]:
        """The app's bare repository, made on first use: `git push <url> main` deploys."""
        if not cp.store.app_exists(name):
            raise unknown_app(name)
        return {"app": name, "url": str(cp.git.ensure(name))}

    @app.post("/v1/apps/{name}/pushes", status_code=202)
    async def push(
        name: str, request: Request, branch: str, git_sha: str | None = None
    ) -> dict[str, Any]:
        """A pushed commit, from the pre-receive hook: deploy it to its branch's environment.
        The role is checked here, once the commit's manifest has named the environment."""
        if not cp.store.app_exists(name):
            raise unknown_app(name)
        source = await _unpack(request, cp.home / "tmp")
        try:
            manifest = _app_manifest(source, "fix the app, commit, then push again")
            envs = sorted({e.name for e in cp.store.envs(name)} | set(manifest.environments))
            env = environment_for(manifest.git, branch, name, envs)
            authorize(request.state.principal, Permission.CHANGE_ENV, env)
            state = declared_env(name, env, manifest)
        except ApiError:
            shutil.rmtree(source, ignore_errors=True)
            raise
        return deployment_json(cp.engine.deploy(state, source, manifest, git_sha))

    @app.get("/v1/deployments/{dep_id}")
    def get_deployment(dep_id: int) -> dict[str, Any]:
        return deployment_json(cp.deployment(dep_id))

    @app.get("/v1/deployments/{dep_id}/events")
    def events(dep_id: int, after: int = 0, follow: bool = False) -> StreamingResponse:
        cp.deployment(dep_id)
        return _ndjson(
            cp.follow_events(dep_id, after)
            if follow
            else (event_json(e) for e in cp.store.events(dep_id, after))
        )

    @app.get("/v1/apps/{name}/envs/{env}/releases")
    def releases(name: str, env: str) -> list[dict[str, Any]]:
        return cp.releases_json(env_of(name, env))

    @app.post("/v1/apps/{name}/envs/{env}/rollback", status_code=202)
    def rollback(name: str, env: str, body: Rollback) -> dict[str, Any]:
        return deployment_json(cp.engine.rollback(env_of(name, env), body.version))

    @app.get("/v1/apps/{name}/promotion")
    def promotion(
        name: str,
        source: Annotated[str, Query(alias="from")],
        target: Annotated[str, Query(alias="to")],
    ) -> dict[str, Any]:
        return promotion_json(cp.engine.promotion(env_of(name, source), env_of(name, target)))

    @app.post("/v1/apps/{name}/envs/{env}/promotions", status_code=202)
    def promote(name: str, env: str, body: Promote) -> dict[str, Any]:
        source, target = env_of(name, body.source), env_of(name, env)
        check_deployable(target, cp.engine.promotion(source, target).manifest)
        return deployment_json(cp.engine.promote(source, target))

    @app.get("/v1/apps/{name}/envs/{env}/instances")
    def instances(name: str, env: str) -> list[dict[str, Any]]:
        return cp.instances_json(env_of(name, env))

    @app.post("/v1/apps/{name}/envs/{env}/scale", status_code=202)
    def scale(name: str, env: str, body: Scale) -> dict[str, Any]:
        state = env_of(name, env)
        return deployment_json(cp.engine.scale(state, body.counts, max_scale=cp.settings.max_scale))

    @app.post("/v1/apps/{name}/envs/{env}/restart", status_code=202)
    def restart(name: str, env: str, body: Restart) -> dict[str, Any]:
        return deployment_json(cp.engine.restart(env_of(name, env), body.service))

    @app.get("/v1/apps/{name}/envs/{env}/config")
    def get_config(name: str, env: str, request: Request, reveal: str = "false") -> dict[str, Any]:
        """Plain values, and secrets masked unless `reveal=true` (admins only). Every reveal is
        audited, allowed or refused: the audit middleware reads the answer set here."""
        revealing = reveal_flag(reveal)
        request.state.reveal = revealing
        state = env_of(name, env)
        if revealing:
            authorize(request.state.principal, Permission.REVEAL_SECRETS, env)
        return config_json(state, reveal=revealing)

    @app.patch("/v1/apps/{name}/envs/{env}/config")
    def change_config(name: str, env: str, body: ConfigChange) -> dict[str, Any]:
        for key in body.set:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise Invalid(
                    f"config key {key!r} is not valid: use letters, digits and '_'",
                    "e.g. launchdeck config set DATABASE_POOL=5",
                )
        dep = cp.engine.set_config(env_of(name, env), body.set, body.unset, secret=body.secret)
        return {
            "config": config_json(env_of(name, env))["config"],
            "deployment": deployment_json(dep) if dep else None,
        }

    @app.get("/v1/apps/{name}/envs/{env}/logs")
    def logs(
        name: str,
        env: str,
        since: float | None = None,
        grep: str | None = None,
        service: str | None = None,
        follow: bool = False,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    ) -> StreamingResponse:
        env_of(name, env)
        try:
            pattern = re.compile(grep) if grep else None
        except re.error as exc:
            raise Invalid(
                f"--grep {grep!r} is not a valid regular expression: {exc}",
                "escape special characters, e.g. 'GET /health'",
            ) from None
        q = LogQuery(since=since, grep=pattern, service=service, limit=limit)
        if follow:
            return _ndjson(cp.logs.follow(name, env, q))
        return _ndjson(iter(cp.logs.query(name, env, q)))

    add_addon_routes(app, cp, env_of)
    add_domain_routes(app, cp, env_of)
    add_backup_routes(app, cp, env_of)
    add_owner_routes(app, owner)
    return app


def config_json(state: EnvState, *, reveal: bool = False) -> dict[str, Any]:
    secret = state.secrets
    shown = {k: v if reveal or k not in secret else MASK for k, v in state.config.items()}
    return {"config": dict(sorted(shown.items())), "secrets": sorted(secret & set(state.config))}


def _ndjson(items: Iterator[dict[str, Any]]) -> StreamingResponse:
    def lines() -> Iterator[bytes]:
        for item in items:
            yield (json.dumps(item) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def _app_manifest(source: Path, fix: str) -> Manifest:
    """The uploaded app's manifest, checked to name a buildpack that can build it."""
    try:
        manifest = load_manifest(source)
        detect_kind(source, manifest.build)
    except (ManifestError, BuildError) as exc:
        # said of the app's own files: never name where the server unpacked them
        raise Invalid(str(exc).replace(f"{source}/", "").replace(str(source), "."), fix) from None
    return manifest


async def _unpack(request: Request, tmp_root: Path) -> Path:
    """The uploaded app directory: the body streamed to disk under a size cap, then checked
    member by member and unpacked in a worker thread, so the API keeps answering meanwhile."""
    archive = await receive(request, tmp_root, UPLOAD_LIMITS)
    try:
        return await run_in_threadpool(unpack, archive, tmp_root, UPLOAD_LIMITS)
    finally:
        archive.unlink(missing_ok=True)
