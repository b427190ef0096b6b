"""Database routes: backups (list, take, verify), restore, pull, and prune.

They reach the data itself: a protected environment's (production's) needs an admin token,
another's at least a deployer's (Permission.MANAGE_DATABASE); pulling *from* production needs
admin too, and prune (which can drop copies of any environment) is admin only. Add-on errors
become API errors with the driver's fix in the `fix` field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from launchdeck.controlplane.access.auth import Permission, authorize
from launchdeck.controlplane.databases.wiring import Databases
from launchdeck.controlplane.errors import addon_errors
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.security import needs, principal_of
from launchdeck.controlplane.plane import ControlPlane, deployment_json

DB = "/v1/apps/{name}/envs/{env}/db"


class RestoreBody(BaseModel):
    to: str | None = None  # ISO 8601 with a timezone
    backup: str | None = None


class PullBody(BaseModel):
    source: str = Field(alias="from")


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()
    data = [needs(Permission.MANAGE_DATABASE)]
    prune_ = [needs(Permission.PRUNE_DATABASES, env_param=None)]

    def databases() -> Databases:
        return cp.databases  # looked up per request: test doubles of the control plane lack it

    @api.get(f"{DB}/backups", dependencies=data, response_model=models.Listing)
    def list_backups(name: str, env: str) -> dict[str, Any]:
        with addon_errors():
            return databases().backups.listing(env_of(cp, name, env))

    @api.post(f"{DB}/backups", status_code=201, dependencies=data, response_model=models.Listing)
    def take_backup(name: str, env: str) -> dict[str, Any]:
        with addon_errors():
            return databases().backups.take(env_of(cp, name, env))

    @api.post(
        f"{DB}/backups/{{backup_id}}/verify", dependencies=data, response_model=models.Listing
    )
    def verify_backup(name: str, env: str, backup_id: str) -> dict[str, Any]:
        with addon_errors():
            return databases().backups.verify(env_of(cp, name, env), backup_id)

    @api.post(f"{DB}/restores", status_code=202, dependencies=data, response_model=models.Restored)
    def restore(name: str, env: str, body: RestoreBody) -> dict[str, Any]:
        state = env_of(cp, name, env)
        with addon_errors():
            info, dep = databases().restores.restore(state, to=body.to, backup=body.backup)
        return {**info, "deployment": deployment_json(dep) if dep else None}

    @api.post(f"{DB}/pulls", status_code=202, dependencies=data, response_model=models.Restored)
    def pull(name: str, env: str, body: PullBody, request: Request) -> dict[str, Any]:
        """Declared: the target's database; checked here: the source's too."""
        authorize(principal_of(request), Permission.MANAGE_DATABASE, body.source)
        target, source = env_of(cp, name, env), env_of(cp, name, body.source)
        with addon_errors():
            info, dep = databases().pulls.pull(source, target)
        return {**info, "deployment": deployment_json(dep) if dep else None}

    @api.get("/v1/db/prune", dependencies=prune_, response_model=list[models.Listing])
    def prunable() -> list[dict[str, Any]]:
        with addon_errors():
            return databases().restores.prunable()

    @api.post("/v1/db/prune", dependencies=prune_, response_model=list[models.Listing])
    def prune() -> list[dict[str, Any]]:
        with addon_errors():
            return databases().restores.prune()

    return api
