"""Apps: create, list, show, destroy; an environment's status; the server's status."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.domains import check_generated_free
from launchdeck.controlplane.errors import Conflict, Invalid
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.lookup import app_of, env_of
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.domain import NAME_RE

DEFAULT_ENVS = ["staging", "production"]


class CreateApp(BaseModel):
    name: str


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()
    read = [needs(Permission.READ)]

    @api.get("/v1/status", dependencies=read, response_model=models.ServerStatus)
    def server_status() -> dict[str, Any]:
        return cp.server_status()

    @api.post(
        "/v1/apps",
        status_code=201,
        dependencies=[needs(Permission.CREATE_APP, env_param=None)],
        response_model=models.CreatedApp,
    )
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

    @api.get("/v1/apps", dependencies=read, response_model=list[models.App])
    def list_apps() -> list[dict[str, Any]]:
        return [cp.app_json(name) for name, _ in cp.store.apps()]

    @api.get("/v1/apps/{name}", dependencies=read, response_model=models.App)
    def app_status(name: str) -> dict[str, Any]:
        return cp.app_json(app_of(cp, name))

    @api.delete(
        "/v1/apps/{name}",
        dependencies=[needs(Permission.DESTROY_APP, env_param=None)],
        response_model=models.DestroyedApp,
    )
    def destroy_app(name: str, confirm: str = "") -> dict[str, Any]:
        app_of(cp, name)
        if confirm != name:
            raise Invalid(f"destroying {name!r} needs confirmation", f"add --confirm {name}")
        return cp.destroy(name)

    @api.get("/v1/apps/{name}/envs/{env}", dependencies=read, response_model=models.EnvStatus)
    def env_status(name: str, env: str) -> dict[str, Any]:
        return cp.env_json(env_of(cp, name, env))

    return api
