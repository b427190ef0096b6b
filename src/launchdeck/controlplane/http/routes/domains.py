"""Custom domains: list, add and remove an environment's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.domains import add_domain, domains_json, remove_domain
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.plane import ControlPlane

DOMAINS = "/v1/apps/{name}/envs/{env}/domains"


class AddDomain(BaseModel):
    domain: str


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()
    shape = list[models.Domain]
    change = [needs(Permission.CHANGE_ENV)]

    @api.get(DOMAINS, dependencies=[needs(Permission.READ)], response_model=shape)
    def list_domains(name: str, env: str) -> list[dict[str, Any]]:
        return domains_json(cp.deployments, env_of(cp, name, env))

    @api.post(DOMAINS, status_code=201, dependencies=change, response_model=shape)
    def create_domain(name: str, env: str, body: AddDomain) -> list[dict[str, Any]]:
        return domains_json(
            cp.deployments, add_domain(cp.deployments, env_of(cp, name, env), body.domain)
        )

    @api.delete(DOMAINS + "/{domain}", dependencies=change, response_model=shape)
    def delete_domain(name: str, env: str, domain: str) -> list[dict[str, Any]]:
        return domains_json(
            cp.deployments, remove_domain(cp.deployments, env_of(cp, name, env), domain)
        )

    return api
