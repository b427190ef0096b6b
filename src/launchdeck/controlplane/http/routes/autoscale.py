"""An environment's autoscaling: where each autoscaled service stands and the last decisions;
handing services a manual `scale` paused back to the autoscaler."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.plane import ControlPlane

AUTOSCALE = "/v1/apps/{name}/envs/{env}/autoscale"


class Resume(BaseModel):
    services: list[str] = Field(default_factory=list, max_length=100)  # none: every one


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()

    @api.get(
        AUTOSCALE, dependencies=[needs(Permission.READ)], response_model=models.AutoscaleStatus
    )
    def status(name: str, env: str) -> dict[str, Any]:
        state = env_of(cp, name, env)
        return {
            "services": cp.autoscaler.status(state),
            "decisions": cp.autoscaler.decisions(name, env),
        }

    @api.post(
        f"{AUTOSCALE}/resume",
        dependencies=[needs(Permission.CHANGE_ENV)],
        response_model=models.AutoscaleResumed,
    )
    def resume(name: str, env: str, body: Resume) -> dict[str, Any]:
        return {"resumed": cp.autoscaler.resume(env_of(cp, name, env), body.services)}

    return api
