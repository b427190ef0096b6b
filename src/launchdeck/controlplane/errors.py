"""The control plane's exceptions. Each carries an HTTP status, a message and the next step;
the API answers `{"error": message, "fix": fix}` with the status.

LaunchdeckError (system/errors.py)
└── ApiError            400
    ├── NotFound        404
    ├── Conflict        409
    ├── Invalid         422
    ├── TooLarge        413
    ├── Unavailable     503  cannot serve this now: retry
    │   ├── StoreUnavailable   the database is locked or failing (store.py)
    │   └── StoreTooNew        written by a newer launchdeck (migrations.py)
    ├── Unauthorized    401
    ├── Forbidden       403
    ├── DriverFailed    502  a part launchdeck runs (PostgreSQL, Redis, HAProxy, the host) failed
    │   └── AddonFailed      an add-on error whose FailureKind asks for no better status
    └── GitUnavailable  503  (git.py)

A 500 means a bug in launchdeck and nothing else: an error of a driver (any LaunchdeckError that
is not an ApiError) answers 502 with its message and fix, and an OSError of the host (a full
disk, a missing permission) 503 (http/app.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from launchdeck.system.addon_errors import FailureKind
from launchdeck.system.errors import LaunchdeckError


class ApiError(LaunchdeckError):
    status = 400


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


class DriverFailed(ApiError):
    status = 502


class AddonFailed(DriverFailed):
    pass


@contextmanager
def addon_errors() -> Iterator[None]:
    """Add-on errors as API errors, with the status their kind calls for. The add-on host is a
    driver: its errors are known here by the root they share and the `FailureKind` they carry."""
    try:
        yield
    except ApiError:
        raise
    except LaunchdeckError as exc:
        kind = getattr(exc, "kind", FailureKind.FAILED)
        status = _STATUS[kind] if isinstance(kind, FailureKind) else AddonFailed
        raise status(exc.message, exc.fix) from None


_STATUS: dict[FailureKind, type[ApiError]] = {
    FailureKind.FAILED: AddonFailed,
    FailureKind.MISSING: NotFound,
    FailureKind.INVALID: Invalid,
    FailureKind.CONFLICT: Conflict,
}
