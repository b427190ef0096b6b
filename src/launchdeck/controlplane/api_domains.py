"""Domain routes: list, add and remove an environment's custom domains."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from launchdeck.controlplane.domains import add_domain, domains_json, remove_domain
from launchdeck.controlplane.service import ControlPlane
from launchdeck.controlplane.store import EnvState


class AddDomain(BaseModel):
    domain: str


def add_domain_routes(
    app: FastAPI, cp: ControlPlane, env_of: Callable[[str, str], EnvState]
) -> None:
    @app.get("/v1/apps/{name}/envs/{env}/domains")
    def list_domains(name: str, env: str) -> list[dict[str, Any]]:
        return domains_json(cp.engine, env_of(name, env))

    @app.post("/v1/apps/{name}/envs/{env}/domains", status_code=201)
    def create_domain(name: str, env: str, body: AddDomain) -> list[dict[str, Any]]:
        return domains_json(cp.engine, add_domain(cp.engine, env_of(name, env), body.domain))

    @app.delete("/v1/apps/{name}/envs/{env}/domains/{domain}")
    def delete_domain(name: str, env: str, domain: str) -> list[dict[str, Any]]:
        return domains_json(cp.engine, remove_domain(cp.engine, env_of(name, env), domain))
