"""Add-on routes: which add-ons an environment has, and attaching one now (`addons create`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel

from launchdeck.controlplane.service import ControlPlane, deployment_json
from launchdeck.controlplane.store import EnvState
from launchdeck.domain import Addons, PostgresAddon, RedisAddon


class CreateAddon(BaseModel):
    kind: Literal["postgres", "redis"]
    version: str | None = None


def add_addon_routes(
    app: FastAPI, cp: ControlPlane, env_of: Callable[[str, str], EnvState]
) -> None:
    @app.get("/v1/apps/{name}/envs/{env}/addons")
    def list_addons(name: str, env: str) -> list[dict[str, Any]]:
        env_of(name, env)
        return [
            {k: v for k, v in dataclasses.asdict(a).items() if k != "url"}  # URLs are secrets
            for a in cp.addons.attachments(name, env)
        ]

    @app.post("/v1/apps/{name}/envs/{env}/addons", status_code=201)
    def create_addon(name: str, env: str, body: CreateAddon) -> dict[str, Any]:
        wanted = (
            Addons(postgres=PostgresAddon(body.version))
            if body.kind == "postgres"
            else Addons(redis=RedisAddon(body.version or RedisAddon().version))
        )
        dep = cp.engine.attach_addons(env_of(name, env), wanted)
        return {
            "addons": list_addons(name, env),
            "deployment": deployment_json(dep) if dep else None,
        }
