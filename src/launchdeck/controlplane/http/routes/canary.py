"""An environment's running canary: its step, its share and its analysis so far; ending it
early (`promote`: on to 100% now; `abort`: every request back on the serving release)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.errors import Conflict
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.domain import Deployment, DeploymentState

CANARY = "/v1/apps/{name}/envs/{env}/canary"


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()

    def running(name: str, env: str) -> Deployment | None:
        env_of(cp, name, env)
        for dep in cp.store.deployments(name, env, 5):
            if dep.canary and dep.state == DeploymentState.ROLLING:
                return dep
        return None

    @api.get(CANARY, dependencies=[needs(Permission.READ)], response_model=models.CanaryStatus)
    def status(name: str, env: str) -> dict[str, Any]:
        dep = running(name, env)
        shown = cp.deployments.canaries.status(dep.id) if dep is not None else None
        return {"running": dep is not None, "status": shown}

    @api.post(
        CANARY + "/{action}",
        dependencies=[needs(Permission.CHANGE_ENV)],
        response_model=models.CanaryStatus,
    )
    def end(name: str, env: str, action: Literal["promote", "abort"]) -> dict[str, Any]:
        dep = running(name, env)
        if dep is None or not cp.deployments.canaries.ask(dep.id, action):
            raise Conflict(
                f"{name}/{env} has no canary in its analysis now",
                f"see: launchdeck status --app {name} --env {env}",
            )
        return {"running": True, "status": cp.deployments.canaries.status(dep.id)}

    return api
