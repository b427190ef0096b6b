"""Who may do what: API tokens carry a role, and one function decides each request.

- viewer: reads everything except secret values.
- deployer: deploys, scales, restarts and changes config on unprotected environments, creates
  apps, and promotes into a protected one (promotion ships a build staging already ran).
- admin: everything, including revealing secrets, destroying apps and managing tokens.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from launchdeck.controlplane.errors import Forbidden

PROTECTED_ENVS = frozenset({"production"})
TOKEN_PREFIX = "ldt_"


class Role(enum.StrEnum):
    VIEWER = "viewer"
    DEPLOYER = "deployer"
    ADMIN = "admin"


class Permission(enum.Enum):
    READ = "read"
    CHANGE_ENV = "change an environment"
    PROMOTE = "promote"
    CREATE_APP = "create apps"
    DESTROY_APP = "destroy apps"
    REVEAL_SECRETS = "reveal secrets"
    MANAGE_TOKENS = "manage tokens"
    READ_AUDIT = "read the audit log"
    MANAGE_SETTINGS = "manage control-plane settings"


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role


_DEPLOYER = {Permission.READ, Permission.CHANGE_ENV, Permission.PROMOTE, Permission.CREATE_APP}


def authorize(who: Principal, permission: Permission, env: str | None = None) -> None:
    """Return if `who` may; raise Forbidden naming the role and what would be allowed."""
    if who.role is Role.ADMIN or permission is Permission.READ:
        return
    if who.role is Role.DEPLOYER and permission in _DEPLOYER:
        if permission is Permission.CHANGE_ENV and env in PROTECTED_ENVS:
            raise Forbidden(
                f"{who.name} (role deployer) cannot change {env!r} directly",
                f"deploy to staging, then: launchdeck promote --from staging --to {env}",
            )
        return
    raise Forbidden(
        f"{who.name} (role {who.role}) may not {permission.value}"
        + (f" on {env!r}" if env else ""),
        "ask an admin, or use a token with a role that may (launchdeck tokens create --role ...)",
    )


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Tokens are stored hashed: a copy of the database grants nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def permission_for(
    method: str, path: str, params: Mapping[str, str]
) -> tuple[Permission, str | None]:
    """What a request needs, from its method, path and path parameters."""
    env = params.get("env")
    if path.startswith("/v1/tokens"):
        return Permission.MANAGE_TOKENS, None
    if path.startswith("/v1/audit"):
        return Permission.READ_AUDIT, None
    if path.startswith("/v1/settings"):  # backup destinations and their credentials: admin only
        return Permission.MANAGE_SETTINGS, None
    if method in ("GET", "HEAD"):
        return Permission.READ, env
    if method == "POST" and path == "/v1/apps":
        return Permission.CREATE_APP, None
    if method == "DELETE" and "env" not in params and path.startswith("/v1/apps/"):
        return Permission.DESTROY_APP, None
    if path.endswith("/promotions"):
        return Permission.PROMOTE, env
    return Permission.CHANGE_ENV, env
