"""What an add-on host hands back: the servers an environment is attached to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    kind: str  # "postgres" | "redis"
    version: str
    var: str  # the config var it sets: DATABASE_URL | REDIS_URL
    url: str
    name: str  # the database or server it is
    running: bool
