"""The HTTP API. Every route needs `Authorization: Bearer <token>`; errors are
`{"error": ..., "fix": ...}` with a 4xx status."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import secrets
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
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
    same_token,
    token_hash,
)
from launchdeck.controlplane.errors import (
    ApiError,
    Conflict,
    Invalid,
    NotFound,
    Unauthorized,
    unknown_app,
    unknown_env,
)
from launchdeck.controlplane.git import environment_for
from launchdeck.controlplane.logs import LogQuery
from launchdeck.controlplane.promotion import promotion_json
from launchdeck.controlplane.secrets import MASK
from launchdeck.controlplane.service import ControlPlane, deployment_json, event_json
from launchdeck.controlplane.store import EnvState, TokenRecord
from launchdeck.domain import NAME_RE, Manifest
from launchdeck.manifest import ManifestError, load_manifest

DEFAULT_ENVS = ["staging", "production"]
TOKEN_NAME_RE = re.compile(r"[A-Za-z0-9._@-]{1,64}")


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


def create_api(cp: ControlPlane, token: str) -> FastAPI:
    def principal(authorization: str | None) -> Principal:
        scheme, _, given = (authorization or "").partition(" ")
        given = given.strip()
        if scheme == "Bearer" and given:
            if same_token(given, token):
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

    app = FastAPI(title="launchdeck", dependencies=[Depends(auth)])

    @app.middleware("http")
    async def audit(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        reveal = request.query_params.get("reveal") in ("true", "1")
        if request.method not in ("GET", "HEAD") or reveal:  # changes, and reading secrets
            who: Principal | None = getattr(request.state, "principal", None)
            cp.store.add_audit(
                time.time(),
                who.name if who else "unknown",
                who.role.value if who else "-",
                f"{request.method} {request.url.path}" + ("?reveal=true" if reveal else ""),
                response.status_code,
            )
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in exc.errors()
        )
        return JSONResponse(
            {"error": f"invalid request: {problems}", "fix": "see the API's /docs for the shape"},
            status_code=422,
        )

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "fix": exc.fix}, status_code=exc.status)

    def env_of(app_name: str, env: str) -> EnvState:
        if not cp.store.app_exists(app_name):
            raise unknown_app(app_name)
        state = cp.store.env(app_name, env)
        if state is None:
            raise unknown_env(app_name, env, [e.name for e in cp.store.envs(app_name)])
        return state

    def declared_env(app_name: str, env: str, manifest: Manifest) -> EnvState:
        """The environment to deploy to; one the manifest declares is created on first use."""
        state = cp.store.env(app_name, env)
        if state is None and env in manifest.environments and NAME_RE.match(env):
            state = EnvState(app_name, env)
            cp.store.save_env(state)
        return state if state is not None else env_of(app_name, env)

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
        if not NAME_RE.match(body.name):
            raise Invalid(
                f"app name {body.name!r} is not valid: use 1-30 lowercase letters, digits and '-', "
                "starting with a letter",
                "e.g. launchdeck apps create shop",
            )
        if cp.store.app_exists(body.name):
            raise Conflict(f"app {body.name!r} already exists", "pick another name")
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
        source = _unpack(await request.body(), cp.home / "tmp")
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
        source = _unpack(await request.body(), cp.home / "tmp")
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
        return deployment_json(cp.engine.promote(env_of(name, body.source), env_of(name, env)))

    @app.get("/v1/apps/{name}/envs/{env}/instances")
    def instances(name: str, env: str) -> list[dict[str, Any]]:
        return cp.instances_json(env_of(name, env))

    @app.post("/v1/apps/{name}/envs/{env}/scale", status_code=202)
    def scale(name: str, env: str, body: Scale) -> dict[str, Any]:
        return deployment_json(cp.engine.scale(env_of(name, env), body.counts))

    @app.post("/v1/apps/{name}/envs/{env}/restart", status_code=202)
    def restart(name: str, env: str, body: Restart) -> dict[str, Any]:
        return deployment_json(cp.engine.restart(env_of(name, env), body.service))

    @app.get("/v1/apps/{name}/envs/{env}/config")
    def get_config(name: str, env: str, request: Request, reveal: bool = False) -> dict[str, Any]:
        """Plain values, and secrets masked unless `reveal` (admins only)."""
        state = env_of(name, env)
        if reveal:
            authorize(request.state.principal, Permission.REVEAL_SECRETS, env)
        return config_json(state, reveal=reveal)

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
        raise Invalid(str(exc), fix) from None
    return manifest


def _unpack(body: bytes, tmp_root: Path) -> Path:
    """A gzipped tar of the app directory, unpacked safely (no paths outside, no devices)."""
    tmp_root.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix="src-", dir=tmp_root))
    try:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise Invalid(
            f"the upload is not a gzipped tar of an app directory ({exc})",
            "deploy with: launchdeck deploy PATH",
        ) from None
    return target
