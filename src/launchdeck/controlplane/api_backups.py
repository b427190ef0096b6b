"""Database routes: backups (list, take, verify), restore, pull, and prune; and the host's
backup target (`/v1/settings/backup-target`).

They reach the data itself, so they need an admin token for a protected environment (production)
and at least a deployer token elsewhere; pulling *from* production needs admin too, and prune
(which can drop copies of any environment) is admin only. The backup target (where copies of
every cluster go, and the keys that sign them) is admin only, and its secret is never shown.
Add-on errors become API errors with the driver's fix in the `fix` field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Body, FastAPI, Request
from pydantic import BaseModel, Field

from launchdeck.controlplane.auth import PROTECTED_ENVS, Principal, Role
from launchdeck.controlplane.backup_target import (
    NO_TARGET,
    BackupTargetFile,
    TargetUnreadable,
    parse_target,
)
from launchdeck.controlplane.databases import Databases
from launchdeck.controlplane.errors import (
    Conflict,
    Forbidden,
    Invalid,
    addon_errors,
)
from launchdeck.controlplane.service import ControlPlane, deployment_json
from launchdeck.controlplane.store import EnvState


class RestoreBody(BaseModel):
    to: str | None = None  # ISO 8601 with a timezone
    backup: str | None = None


class PullBody(BaseModel):
    source: str = Field(alias="from")


def add_backup_routes(
    app: FastAPI, cp: ControlPlane, env_of: Callable[[str, str], EnvState]
) -> None:
    def databases() -> Databases:
        return cp.databases  # looked up per request: test doubles of the control plane lack it

    def db_env(request: Request, name: str, env: str) -> EnvState:
        may_manage_database(request.state.principal, env)
        return env_of(name, env)

    @app.get("/v1/apps/{name}/envs/{env}/db/backups")
    def list_backups(name: str, env: str, request: Request) -> dict[str, Any]:
        state = db_env(request, name, env)
        with addon_errors():
            return databases().backups.listing(state)

    @app.post("/v1/apps/{name}/envs/{env}/db/backups", status_code=201)
    def take_backup(name: str, env: str, request: Request) -> dict[str, Any]:
        state = db_env(request, name, env)
        with addon_errors():
            return databases().backups.take(state)

    @app.post("/v1/apps/{name}/envs/{env}/db/backups/{backup_id}/verify")
    def verify_backup(name: str, env: str, backup_id: str, request: Request) -> dict[str, Any]:
        state = db_env(request, name, env)
        with addon_errors():
            return databases().backups.verify(state, backup_id)

    @app.post("/v1/apps/{name}/envs/{env}/db/restores", status_code=202)
    def restore(name: str, env: str, body: RestoreBody, request: Request) -> dict[str, Any]:
        state = db_env(request, name, env)
        with addon_errors():
            info, dep = databases().restores.restore(state, to=body.to, backup=body.backup)
        return {**info, "deployment": deployment_json(dep) if dep else None}

    @app.post("/v1/apps/{name}/envs/{env}/db/pulls", status_code=202)
    def pull(name: str, env: str, body: PullBody, request: Request) -> dict[str, Any]:
        target = db_env(request, name, env)
        source = db_env(request, name, body.source)
        with addon_errors():
            info, dep = databases().pulls.pull(source, target)
        return {**info, "deployment": deployment_json(dep) if dep else None}

    @app.get("/v1/db/prune")
    def prunable(request: Request) -> list[dict[str, Any]]:
        admin_only(request.state.principal)
        with addon_errors():
            return databases().restores.prunable()

    @app.post("/v1/db/prune")
    def prune(request: Request) -> list[dict[str, Any]]:
        admin_only(request.state.principal)
        with addon_errors():
            return databases().restores.prune()

    add_backup_target_routes(app, cp)


def add_backup_target_routes(app: FastAPI, cp: ControlPlane) -> None:
    """`/v1/settings/...` needs Permission.MANAGE_SETTINGS (auth.permission_for): admins only;
    each route checks the role again, so a change to the path rule cannot open them."""

    def target(request: Request) -> BackupTargetFile:
        admin_only(request.state.principal, "manage the backup target")
        return BackupTargetFile(cp.home)

    @app.get("/v1/settings/backup-target")
    def show_backup_target(request: Request) -> dict[str, Any]:
        try:
            found = target(request).get()
        except TargetUnreadable as exc:  # e.g. LAUNCHDECK_SECRET_KEY changed since it was set
            message, _, fix = str(exc).partition("; fix: ")
            raise Conflict(message, fix) from None
        return NO_TARGET if found is None else found.public_json()

    @app.put("/v1/settings/backup-target")
    def set_backup_target(request: Request, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
        setting = target(request)
        if not isinstance(body, dict):
            raise Invalid(
                "the body should be a JSON object with bucket, prefix, endpoint, region, "
                "access_key_id and secret_access_key",
                "e.g. launchdeck db backups target set --bucket shop-backups",
            )
        parsed = parse_target(body)
        setting.set(parsed)
        return parsed.public_json()

    @app.delete("/v1/settings/backup-target")
    def unset_backup_target(request: Request) -> dict[str, Any]:
        removed = target(request).unset()
        return {**NO_TARGET, "removed": removed}


def may_manage_database(who: Principal, env: str) -> None:
    if who.role is Role.ADMIN:
        return
    if env in PROTECTED_ENVS:
        raise Forbidden(
            f"{who.name} (role {who.role}) may not reach {env}'s database",
            "use an admin token (launchdeck tokens create --role admin)",
        )
    if who.role is not Role.DEPLOYER:
        raise Forbidden(
            f"{who.name} (role {who.role}) may not reach {env}'s database",
            "use a deployer or admin token (launchdeck tokens create --role deployer)",
        )


def admin_only(who: Principal, what: str = "prune databases") -> None:
    if who.role is not Role.ADMIN:
        raise Forbidden(
            f"{who.name} (role {who.role}) may not {what}",
            "use an admin token (launchdeck tokens create --role admin)",
        )
