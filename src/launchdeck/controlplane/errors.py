"""The control plane's exceptions. Each carries an HTTP status, a message and the next step."""

from __future__ import annotations


class ApiError(Exception):
    status = 400

    def __init__(self, message: str, fix: str = "") -> None:
        self.message = message
        self.fix = fix
        super().__init__(message)


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class Invalid(ApiError):
    status = 422


def unknown_app(app: str) -> NotFound:
    return NotFound(f"app {app!r} not found", f"create it with: launchdeck apps create {app}")


def unknown_env(app: str, env: str, known: list[str]) -> NotFound:
    return NotFound(
        f"app {app!r} has no environment {env!r} (it has: {', '.join(known) or 'none'})",
        f"use --env {known[0]}" if known else "",
    )


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403
