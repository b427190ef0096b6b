"""Add-ons: which an environment has, and attaching one now (`addons create`)."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.plane import ControlPlane, deployment_json
from launchdeck.domain import Addons, PostgresAddon, RedisAddon

ADDONS = "/v1/apps/{name}/envs/{env}/addons"


class CreateAddon(BaseModel):
    kind: Literal["postgres", "redis"]
    version: str | None = None


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()

    def listing(name: str, env: str) -> list[dict[str, Any]]:
        env_of(cp, name, env)
        return [
            {k: v for k, v in dataclasses.asdict(a).items() if k != "url"}  # URLs are secrets
            for a in cp.addons.attachments(name, env)
        ]

    @api.get(ADDONS, dependencies=[needs(Permission.READ)], response_model=list[models.Addon])
    def list_addons(name: str, env: str) -> list[dict[str, Any]]:
        return listing(name, env)

    @api.post(
        ADDONS,
        status_code=201,
        dependencies=[needs(Permission.CHANGE_ENV)],
        response_model=models.AddonsChanged,
    )
    def create_addon(name: str, env: str, body: CreateAddon) -> dict[str, Any]:
        wanted = (
            Addons(postgres=PostgresAddon(body.version))
            if body.kind == "postgres"
            else Addons(redis=RedisAddon(body.version or RedisAddon().version))
        )
        dep = cp.deployments.attach_addons(env_of(cp, name, env), wanted)
        return {"addons": listing(name, env), "deployment": deployment_json(dep) if dep else None}

    return api
