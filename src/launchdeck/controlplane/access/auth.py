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
    MANAGE_DATABASE = "reach a database"  # backups, restores, pulls: the data itself
    PRUNE_DATABASES = "prune databases"  # may drop copies of any environment's database
    RUN = "run one-off commands"  # in a protected environment, a deployer confirms (--yes)


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role


_DEPLOYER = {
    Permission.READ,
    Permission.RUN,
    Permission.CHANGE_ENV,
    Permission.PROMOTE,
    Permission.CREATE_APP,
    Permission.MANAGE_DATABASE,
}


def authorize(who: Principal, permission: Permission, env: str | None = None) -> None:
    """Return if `who` may; raise Forbidden naming the role and what would be allowed."""
    if who.role is Role.ADMIN or permission is Permission.READ:
        return
    if permission is Permission.MANAGE_DATABASE:
        return _database(who, env)
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


def _database(who: Principal, env: str | None) -> None:
    """A protected environment's database is an admin's; another's, a deployer's too."""
    if who.role is Role.DEPLOYER and env not in PROTECTED_ENVS:
        return
    if who.role is Role.DEPLOYER or env in PROTECTED_ENVS:
        fix = "use an admin token (launchdeck tokens create --role admin)"
    else:
        fix = "use a deployer or admin token (launchdeck tokens create --role deployer)"
    raise Forbidden(f"{who.name} (role {who.role}) may not reach {env}'s database", fix)
