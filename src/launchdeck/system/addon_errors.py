"""The add-on errors that both the local driver and the control plane name: the driver raises
them, the control plane's backup use cases raise or catch them, and the API answers each with the
status its `FailureKind` calls for (controlplane/errors.py). They live here, below both, because
the control plane may not import the driver.

LaunchdeckError (system/errors.py)
└── AddonError               the root of every add-on error (drivers/local/addon_errors.py
    │                        draws the rest of the tree, which only the driver names)
    ├── BackupFailed         pg_basebackup did not produce a backup
    └── UnknownBackup        no backup has that id
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import ClassVar

from launchdeck.system.errors import LaunchdeckError


class FailureKind(StrEnum):
    """What kind of failure an add-on error is, for whoever answers for it."""

    FAILED = "failed"  # it went wrong on our side: retry, or read the fix
    MISSING = "missing"  # the thing named (a backup) does not exist
    INVALID = "invalid"  # the request will not be done as asked (input, window, missing package)
    CONFLICT = "conflict"  # not possible in the present state (nothing to restore from yet)


class AddonError(LaunchdeckError):
    kind: ClassVar[FailureKind] = FailureKind.FAILED  # how the API reads it (its status)


class BackupFailed(AddonError):
    pass


class UnknownBackup(AddonError, KeyError):
    kind = FailureKind.MISSING

    # LaunchdeckError.__str__ comes before KeyError's in the MRO: the message is not quoted.
    def __init__(self, backup_id: str, known: Iterable[str]) -> None:
        self.backup_id = backup_id
        self.known = tuple(known)
        listed = ", ".join(self.known) if self.known else "none yet"
        super().__init__(
            f"no backup {backup_id!r}; known backups (oldest first): {listed}",
            "pick one from `launchdeck db backups`",
        )
