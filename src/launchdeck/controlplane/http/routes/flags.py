"""Feature flags of an environment: list, create, change, delete, promote (apps read them from the
flag feed, controlplane/flags/feed.py, not from here)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.flags.service import FlagChange
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.models import Shape
from launchdeck.controlplane.http.security import needs, principal_of
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.domain.flags import FlagDefinition

FLAGS = "/v1/apps/{name}/envs/{env}/flags"


class CreateFlag(BaseModel):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=500)


class ChangeFlag(BaseModel):
    enabled: bool | None = None
    rollout: int | str | None = None
    rules: list[str] | None = Field(default=None, max_length=100)
    allow: list[str] = Field(default_factory=list, max_length=1000)
    disallow: list[str] = Field(default_factory=list, max_length=1000)
    description: str | None = Field(default=None, max_length=500)


class PromoteFlags(BaseModel):
    source: str = Field(alias="from")
    names: list[str] = Field(default_factory=list, max_length=500)  # none: every flag


class Flag(Shape):
    name: str
    enabled: bool
    rollout: int
    rules: list[str]
    allow: list[str]
    description: str
    summary: str
    updated_at: float
    updated_by: str


class FlagList(Shape):
    flags: list[Flag]
    version: int  # of the set apps read: every change adds one
    latest_app_version: str | None  # what `latest` in a rule means now


def flag_json(flag: FlagDefinition) -> dict[str, Any]:
    return {**flag.wire(), "name": flag.name, "description": flag.description,
            "summary": flag.summary(), "updated_at": flag.updated_at,
            "updated_by": flag.updated_by}  # fmt: skip


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()
    read, change = [needs(Permission.READ)], [needs(Permission.CHANGE_ENV)]

    @api.get(FLAGS, dependencies=read, response_model=FlagList)
    def list_flags(name: str, env: str) -> dict[str, Any]:
        env_of(cp, name, env)
        feed = cp.flags.store.feed(name, env)
        return {
            "flags": [flag_json(f) for f in cp.flags.all(name, env)],
            "version": feed.version,
            "latest_app_version": feed.latest_app_version,
        }

    @api.post(FLAGS, status_code=201, dependencies=change, response_model=Flag)
    def create_flag(name: str, env: str, body: CreateFlag, request: Request) -> dict[str, Any]:
        env_of(cp, name, env)
        who = principal_of(request).name
        return flag_json(cp.flags.create(name, env, body.name, body.description, who))

    @api.post(f"{FLAGS}/promotions", dependencies=[needs(Permission.PROMOTE)])
    def promote_flags(name: str, env: str, body: PromoteFlags, request: Request) -> list[Flag]:
        env_of(cp, name, body.source)
        env_of(cp, name, env)
        who = principal_of(request).name
        copied = cp.flags.promote(name, body.source, env, body.names, who)
        return [Flag(**flag_json(f)) for f in copied]

    @api.get(FLAGS + "/{flag}", dependencies=read, response_model=Flag)
    def show_flag(name: str, env: str, flag: str) -> dict[str, Any]:
        env_of(cp, name, env)
        return flag_json(cp.flags.get(name, env, flag))

    @api.patch(FLAGS + "/{flag}", dependencies=change, response_model=Flag)
    def change_flag(
        name: str, env: str, flag: str, body: ChangeFlag, request: Request
    ) -> dict[str, Any]:
        env_of(cp, name, env)
        wanted = FlagChange(**body.model_dump())
        return flag_json(cp.flags.change(name, env, flag, wanted, principal_of(request).name))

    @api.delete(FLAGS + "/{flag}", status_code=204, dependencies=change)
    def delete_flag(name: str, env: str, flag: str) -> None:
        env_of(cp, name, env)
        cp.flags.delete(name, env, flag)

    return api
