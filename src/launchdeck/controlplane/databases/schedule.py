"""When a cluster needs a base backup and which of its backups may go: pure decisions on the
backup records and the time, so the scheduler's behaviour is tested with a fake clock.

One cluster serves several environments, each with its own `[addons.postgres] backups`: the
cluster is backed up as often as the most demanding one asks and its backups are kept as long
as the longest `keep`. Where copies go is not theirs to say: the host's backup target is an
admin's setting (backup_target).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from launchdeck.domain import BackupPolicy, PostgresAddon
from launchdeck.domain.backups import Backup, BackupStatus

RETRY_AFTER = 3600.0  # a failed backup is tried again after this long (or `every`, if sooner)


def policy_for(settings: Iterable[PostgresAddon]) -> BackupPolicy:
    """The schedule of a cluster whose environments asked for `settings` (defaults if none)."""
    policies = [s.backups for s in settings]
    if not policies:
        return BackupPolicy()
    return BackupPolicy(every=min(p.every for p in policies), keep=max(p.keep for p in policies))


def backup_due(
    backups: Sequence[Backup],
    policy: BackupPolicy,
    now: float,
    *,
    last_attempt: float | None = None,
) -> bool:
    """Due when there is none yet, or the newest was started `every` ago; after a failure (or
    an attempt that left no record), only once the retry delay has passed."""
    retry = min(policy.every, RETRY_AFTER)
    if last_attempt is not None and now - last_attempt < retry:
        return False
    if not backups:
        return True
    newest = max(backups, key=lambda b: b.started_at)
    return now - newest.started_at >= (policy.every if newest.usable else retry)


def unverified(backups: Sequence[Backup]) -> list[Backup]:
    """Taken but never restored to prove it (e.g. the control plane stopped in between)."""
    return [b for b in backups if b.status is BackupStatus.TAKEN]


def expired(backups: Sequence[Backup], policy: BackupPolicy, now: float) -> list[str]:
    """Backups that finished more than `keep` ago, except those the restorable window needs:
    the newest verified one, the newest usable one, and the newest usable one from before the
    cutoff (the base for restoring to any moment of the last `keep`)."""
    cutoff = now - policy.keep
    usable = sorted((b for b in backups if b.usable), key=lambda b: b.finished_at)
    verified = [b for b in usable if b.status is BackupStatus.VERIFIED]
    before = [b for b in usable if b.finished_at < cutoff]
    keep = {group[-1].id for group in (usable, verified, before) if group}
    return [b.id for b in backups if b.finished_at < cutoff and b.id not in keep]
