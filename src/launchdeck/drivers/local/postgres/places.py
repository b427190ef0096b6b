"""Where each app environment's PostgreSQL database lives, and what its manifest asked of it.

An environment starts in the main cluster of its major version; a restore moves it into the
cluster the restore made. Each move is a stint (the cluster, and since when), so a restore to a
past moment knows which cluster held the environment's data then. Beside the stints, the
`[addons.postgres]` settings of the environment's last deploy: the backup schedule and the scrub
command, which the control plane reads between deploys.

One JSON file (`<addons>/postgres/environments.json`), rewritten atomically; the caller
serializes access (AddonHost's lock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from launchdeck.domain import BackupCopy, BackupPolicy, PostgresAddon
from launchdeck.domain.databases import Stint
from launchdeck.system import atomic_write

FILE = "environments.json"


@dataclass(frozen=True)
class Placement:
    stints: tuple[Stint, ...] = ()
    settings: PostgresAddon | None = None

    @property
    def current(self) -> str | None:
        return self.stints[-1].cluster if self.stints else None

    def at(self, when: float) -> str | None:
        """The cluster that held the data at `when` (None: the one before any move)."""
        found = None
        for stint in self.stints:
            if stint.since is None or stint.since <= when:
                found = stint.cluster
        return found


class Placements:
    def __init__(self, root: Path) -> None:
        self.path = root / FILE

    def all(self) -> dict[str, Placement]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return {str(key): _placement(value) for key, value in data.items()}

    def get(self, key: str) -> Placement:
        return self.all().get(key, Placement())

    def record_settings(self, key: str, settings: PostgresAddon) -> None:
        found = self.all()
        old = found.get(key, Placement())
        if old.settings != settings:
            found[key] = replace(old, settings=settings)
            self._save(found)

    def move(self, key: str, cluster: str, since: float, *, first: str) -> None:
        """From `since` on, `key` lives in `cluster`; before its first move it lived in
        `first`."""
        found = self.all()
        old = found.get(key, Placement())
        stints = old.stints or (Stint(first),)
        found[key] = replace(old, stints=(*stints, Stint(cluster, since)))
        self._save(found)

    def forget(self, key: str) -> None:
        found = self.all()
        if found.pop(key, None) is not None:
            self._save(found)

    def _save(self, found: dict[str, Placement]) -> None:
        data = {key: _dump(p) for key, p in sorted(found.items())}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(data, indent=2) + "\n", mode=0o600)


def _dump(placement: Placement) -> dict[str, Any]:
    settings = placement.settings
    return {
        "stints": [{"cluster": s.cluster, "since": s.since} for s in placement.stints],
        "settings": None
        if settings is None
        else {
            "version": settings.version,
            "every": settings.backups.every,
            "keep": settings.backups.keep,
            "s3": _dump_copy(settings.backups.s3),
            "scrub": settings.scrub,
        },
    }


def _placement(data: Any) -> Placement:
    stints = tuple(
        Stint(str(s["cluster"]), None if s.get("since") is None else float(s["since"]))
        for s in data.get("stints", [])
    )
    raw = data.get("settings")
    settings = (
        None
        if raw is None
        else PostgresAddon(
            raw.get("version"),
            BackupPolicy(float(raw["every"]), float(raw["keep"]), _copy(raw.get("s3"))),
            raw.get("scrub"),
        )
    )
    return Placement(stints, settings)


def _dump_copy(copy: BackupCopy | None) -> dict[str, Any] | None:
    if copy is None:
        return None
    return {"bucket": copy.bucket, "prefix": copy.prefix, "endpoint": copy.endpoint,
            "region": copy.region}  # fmt: skip


def _copy(raw: Any) -> BackupCopy | None:
    if not raw:  # files written before copies existed have none
        return None
    return BackupCopy(str(raw["bucket"]), str(raw.get("prefix", "")), raw.get("endpoint"),
                      raw.get("region"))  # fmt: skip
