"""An environment's config vars: read (secrets masked unless revealed to an admin) and change."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from launchdeck.controlplane.access.auth import Permission, authorize
from launchdeck.controlplane.access.secrets import MASK
from launchdeck.controlplane.errors import Invalid
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.security import needs, principal_of
from launchdeck.controlplane.plane import ControlPlane, deployment_json
from launchdeck.controlplane.store import EnvState

CONFIG = "/v1/apps/{name}/envs/{env}/config"


class ConfigChange(BaseModel):
    set: dict[str, str] = {}
    unset: list[str] = []
    secret: bool = False  # the values in `set` are secrets


def reveal_flag(raw: str) -> bool:
    """`?reveal=`: exactly `true` or `false`. The one place it is read: the route and the audit
    both go by this answer, so no spelling can reveal without a record."""
    if raw not in ("true", "false"):
        raise Invalid(
            f"reveal should be true or false (got {raw!r})",
            "use ?reveal=true (admin tokens only) or leave it out",
        )
    return raw == "true"


def config_json(state: EnvState, *, reveal: bool = False) -> dict[str, Any]:
    secret = state.secrets
    shown = {k: v if reveal or k not in secret else MASK for k, v in state.config.items()}
    return {"config": dict(sorted(shown.items())), "secrets": sorted(secret & set(state.config))}


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()

    @api.get(CONFIG, dependencies=[needs(Permission.READ)], response_model=models.Config)
    def get_config(name: str, env: str, request: Request, reveal: str = "false") -> dict[str, Any]:
        """Plain values, and secrets masked unless `reveal=true` (admins only). Every reveal is
        audited, allowed or refused: the audit middleware reads the answer set here."""
        revealing = reveal_flag(reveal)
        request.state.reveal = revealing
        state = env_of(cp, name, env)
        if revealing:
            authorize(principal_of(request), Permission.REVEAL_SECRETS, env)
        return config_json(state, reveal=revealing)

    @api.patch(
        CONFIG, dependencies=[needs(Permission.CHANGE_ENV)], response_model=models.ConfigChanged
    )
    def change_config(name: str, env: str, body: ConfigChange) -> dict[str, Any]:
        for key in body.set:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise Invalid(
                    f"config key {key!r} is not valid: use letters, digits and '_'",
                    "e.g. launchdeck config set DATABASE_POOL=5",
                )
        dep = cp.deployments.set_config(
            env_of(cp, name, env), body.set, body.unset, secret=body.secret
        )
        return {
            "config": config_json(env_of(cp, name, env))["config"],
            "deployment": deployment_json(dep) if dep else None,
        }

    return api
