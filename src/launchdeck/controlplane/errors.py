"""The control plane's exceptions. Each carries an HTTP status, a message and the next step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from launchdeck.drivers.local.addon_errors import (
    AddonError,
    AddonNotInstalled,
    InvalidAddonInput,
    NoBackups,
    RestoreTargetOutOfRange,
    UnknownBackup,
)


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


class TooLarge(ApiError):
    status = 413


class Unavailable(ApiError):
    """The control plane cannot serve this now (its database is locked or failing): retry."""

    status = 503


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


class AddonFailed(ApiError):
    status = 500


@contextmanager
def addon_errors() -> Iterator[None]:
    """Add-on errors as API errors: the message, and the fix they end with."""
    try:
        yield
    except AddonError as exc:
        message, _, fix = str(exc).partition("; fix: ")
        kind: type[ApiError] = AddonFailed
        if isinstance(exc, UnknownBackup):
            kind = NotFound
        elif isinstance(exc, RestoreTargetOutOfRange | InvalidAddonInput | AddonNotInstalled):
            kind = Invalid
        elif isinstance(exc, NoBackups):
            kind = Conflict
        raise kind(message, fix) from None
