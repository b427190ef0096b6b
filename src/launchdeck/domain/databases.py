"""Where an environment's PostgreSQL data has lived, and what no environment uses any more: what
the add-on host reports and the control plane's restores and `db prune` read (pure data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Stint:
    cluster: str  # "15" (a main cluster) or "15/restores/<id>"
    since: float | None = None  # None: from the start


@dataclass(frozen=True)
class Prunable:
    kind: Literal["cluster", "database"]
    cluster: str
    database: str  # the environment key; for a cluster, what it was restored for
    port: int
    detail: str
