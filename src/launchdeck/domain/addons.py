"""What an add-on host hands back: the servers an environment is attached to, and how a failure
of theirs should be read (the API turns `FailureKind` into a status)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Attachment:
    kind: str  # "postgres" | "redis"
    version: str
    var: str  # the config var it sets: DATABASE_URL | REDIS_URL
    url: str
    name: str  # the database or server it is
    running: bool


class FailureKind(StrEnum):
    """What kind of failure an add-on error is, for whoever answers for it."""

    FAILED = "failed"  # it went wrong on our side: retry, or read the fix
    MISSING = "missing"  # the thing named (a backup) does not exist
    INVALID = "invalid"  # the request will not be done as asked (input, window, missing package)
    CONFLICT = "conflict"  # not possible in the present state (nothing to restore from yet)
