"""API tokens, the owner token's rotation, and the audit log: admins only."""

from __future__ import annotations

import dataclasses
import re
import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from launchdeck.controlplane.access.auth import Permission, Role, new_token, token_hash
from launchdeck.controlplane.access.owner import OwnerToken
from launchdeck.controlplane.errors import Invalid, NotFound
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.controlplane.store import TokenRecord

TOKEN_NAME_RE = re.compile(r"[A-Za-z0-9._@-]{1,64}")


class CreateToken(BaseModel):
    role: Role
    name: str | None = None


def router(cp: ControlPlane, owner: OwnerToken) -> APIRouter:
    api = APIRouter()
    manage = [needs(Permission.MANAGE_TOKENS, env_param=None)]

    @api.post("/v1/tokens", status_code=201, dependencies=manage, response_model=models.NewToken)
    def create_token(body: CreateToken) -> dict[str, Any]:
        token_id = secrets.token_hex(4)
        name = body.name or f"{body.role.value}-{token_id}"
        if not TOKEN_NAME_RE.fullmatch(name):
            raise Invalid(
                f"token name {name!r} is not valid: use 1-64 letters, digits, '.', '_', '@', '-'",
                "e.g. launchdeck tokens create --role deployer --name alice",
            )
        record = TokenRecord(token_id, name, body.role.value, time.time())
        secret = new_token()
        cp.store.add_token(record, token_hash(secret))
        return {**dataclasses.asdict(record), "token": secret}

    @api.get("/v1/tokens", dependencies=manage, response_model=list[models.Token])
    def list_tokens() -> list[dict[str, Any]]:
        return [dataclasses.asdict(t) for t in cp.store.tokens()]

    @api.post("/v1/tokens/owner", dependencies=manage, response_model=models.OwnerRotated)
    def rotate_owner() -> dict[str, Any]:
        """Replace the owner token; from now on only the new one is accepted."""
        token = owner.rotate()
        where = owner.credentials
        return {"token": token, "role": "admin", "credentials": str(where.path) if where else None}

    @api.delete("/v1/tokens/{token_id}", dependencies=manage, response_model=models.RevokedToken)
    def revoke_token(token_id: str) -> dict[str, Any]:
        if not cp.store.revoke_token(token_id, time.time()):
            raise NotFound(f"no active token {token_id!r}", "see: launchdeck tokens list")
        return {"id": token_id, "revoked": True}

    @api.get(
        "/v1/audit",
        dependencies=[needs(Permission.READ_AUDIT, env_param=None)],
        response_model=list[models.AuditEntry],
    )
    def audit_log(limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> list[dict[str, Any]]:
        return [dataclasses.asdict(e) for e in cp.store.audit(limit)]

    return api
