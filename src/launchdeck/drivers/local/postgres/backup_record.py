"""The backup records moved to `launchdeck.domain.backups` (pure data the control plane reads
too); the driver's modules and older imports find them here."""

from __future__ import annotations

from launchdeck.domain.backups import (
    Backup,
    BackupStatus,
    RestoreWindow,
    compare_counts,
    iso,
    parse_iso,
    show_time,
)

__all__ = [
    "Backup",
    "BackupStatus",
    "RestoreWindow",
    "compare_counts",
    "iso",
    "parse_iso",
    "show_time",
]
