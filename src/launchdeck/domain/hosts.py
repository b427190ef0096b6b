"""The host names an environment answers at on the local router (pure: no I/O)."""

from __future__ import annotations


def app_host(app: str, env: str) -> str:
    return f"{app}-{env}.localhost"


def service_hosts(app: str, env: str, service: str, primary: bool) -> tuple[str, ...]:
    """`web` (or the only routed service) answers at `<app>-<env>.localhost`."""
    if primary:
        return (app_host(app, env),)
    return (f"{app}-{env}-{service}.localhost",)
