"""Who is calling, and what each route needs: every route declares its permission with
`needs(...)` (as Starlette's `requires` does), and a test walks the routes to hold that.

A route may check more inside (a reveal, the environment a pushed branch maps to, the source of
a pull): its declared permission is what every call needs before the route runs at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from launchdeck.controlplane.access.auth import Permission, Principal, Role, authorize, token_hash
from launchdeck.controlplane.access.owner import OwnerToken
from launchdeck.controlplane.errors import Unauthorized
from launchdeck.controlplane.store import Store

OWNER = Principal("owner", Role.ADMIN)  # whoever holds the token in $LAUNCHDECK_HOME/api.json


class Authenticate:
    """The app-wide dependency: a bearer token names the principal, or the call is a 401."""

    def __init__(self, owner: OwnerToken, store: Store) -> None:
        self.owner, self.store = owner, store

    def __call__(
        self, request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> None:
        request.state.principal = self.principal(authorization)

    def principal(self, authorization: str | None) -> Principal:
        scheme, _, given = (authorization or "").partition(" ")
        given = given.strip()
        if scheme == "Bearer" and given:
            if self.owner.matches(given):
                return OWNER
            record = self.store.token_by_hash(token_hash(given))
            if record is not None:
                return Principal(record.name, Role(record.role))
        raise Unauthorized(
            "missing or wrong API token", "check LAUNCHDECK_TOKEN or $LAUNCHDECK_HOME/api.json"
        )


@dataclass(frozen=True)
class Needs:
    """A route's declared permission; `env_param` names the path parameter holding the
    environment it applies to (None: not one environment's)."""

    permission: Permission
    env_param: str | None = "env"

    def __call__(self, request: Request) -> Principal:
        who: Principal = request.state.principal
        env = request.path_params.get(self.env_param) if self.env_param else None
        authorize(who, self.permission, env)
        return who


def needs(permission: Permission, *, env_param: str | None = "env") -> Any:
    """`dependencies=[needs(Permission.CHANGE_ENV)]` on a route."""
    return Depends(Needs(permission, env_param))


def principal_of(request: Request) -> Principal:
    who: Principal = request.state.principal
    return who


def declared(route: APIRoute) -> list[Needs]:
    return [d.call for d in route.dependant.dependencies if isinstance(d.call, Needs)]


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (which FastAPI keeps as branches)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes)


def check_declared(routes: Iterable[BaseRoute]) -> None:
    """Every API route declares exactly one permission: the API refuses to start otherwise."""
    wrong = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in api_routes(routes)
        if len(declared(route)) != 1
    ]
    if wrong:
        raise RuntimeError(f"routes without exactly one needs(...): {', '.join(wrong)}")
