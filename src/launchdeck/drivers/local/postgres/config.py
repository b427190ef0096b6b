"""Where a PostgreSQL cluster keeps its files, and the configuration launchdeck writes for it.

Pure: paths and text, no I/O. initdb's own postgresql.conf is kept and ends with one
`include 'launchdeck.conf'`; that file is ours and rewritten before every start, so a changed port
or a restore's recovery settings always take effect and nothing else is edited by hand.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
CONF_NAME = "launchdeck.conf"
INCLUDE_LINE = f"include '{CONF_NAME}'"


@dataclass(frozen=True)
class ClusterLayout:
    """A cluster's root: what the server writes (owned by its account) and our secrets."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def run(self) -> Path:  # the unix socket directory
        return self.root / "run"

    @property
    def archive(self) -> Path:  # continuous WAL archive
        return self.root / "wal-archive"

    @property
    def log(self) -> Path:
        return self.root / "log" / "postgres.log"

    @property
    def secrets(self) -> Path:  # passwords; only the control plane reads them
        return self.root / "secrets"

    def server_dirs(self) -> tuple[Path, ...]:
        return (self.root, self.run, self.archive, self.log.parent)


@dataclass(frozen=True)
class Recovery:
    """Archive recovery on the next start: replay WAL from `restore_from` up to the target
    (`target_time`, a timestamptz, or the end of the base backup when None), then promote."""

    restore_from: Path
    target_time: str | None = None


@dataclass(frozen=True)
class ServerSettings:
    port: int
    socket_dir: Path
    archive: Path | None  # None: no WAL archiving (a throwaway verification cluster)
    archive_timeout_s: int = 60  # bounds what a restore can lose when traffic is quiet
    shared_buffers: str = "128MB"
    max_connections: int = 100
    recovery: Recovery | None = None


def conf_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def archive_command(archive: Path) -> str:
    """Test-and-copy that never overwrites: an existing segment succeeds only when identical (a
    retry after a crash), a new one is copied to a temporary name, synced, then renamed."""
    a = shlex.quote(str(archive)).replace("%", "%%")
    return (
        f"if test -f {a}/%f; then cmp -s %p {a}/%f; "
        f"else cp %p {a}/%f.tmp && sync {a}/%f.tmp && mv {a}/%f.tmp {a}/%f; fi"
    )


def restore_command(archive: Path) -> str:
    a = shlex.quote(str(archive)).replace("%", "%%")
    return f"cp {a}/%f %p"


def render_conf(settings: ServerSettings) -> str:
    lines = [
        "# written by launchdeck before every start; edits here are overwritten",
        "listen_addresses = '127.0.0.1'",
        f"port = {settings.port}",
        f"unix_socket_directories = {conf_string(str(settings.socket_dir))}",
        "unix_socket_permissions = 0700",
        "password_encryption = 'scram-sha-256'",
        f"max_connections = {settings.max_connections}",
        f"shared_buffers = {conf_string(settings.shared_buffers)}",
        "wal_level = replica",
        "max_wal_senders = 10",
        "timezone = 'UTC'",
        "log_timezone = 'UTC'",
        "log_line_prefix = '%m [%p] '",
    ]
    if settings.archive is None:
        lines.append("archive_mode = off")
    else:
        lines += [
            "archive_mode = on",
            f"archive_command = {conf_string(archive_command(settings.archive))}",
            f"archive_timeout = {settings.archive_timeout_s}",
        ]
    if settings.recovery is not None:
        lines += render_recovery(settings.recovery)
    return "\n".join(lines) + "\n"


def render_recovery(recovery: Recovery) -> list[str]:
    target = (
        "recovery_target = 'immediate'"
        if recovery.target_time is None
        else f"recovery_target_time = {conf_string(recovery.target_time)}"
    )
    return [
        f"restore_command = {conf_string(restore_command(recovery.restore_from))}",
        target,
        "recovery_target_action = 'promote'",
        # the base backup's timeline: never follow a timeline some other restore promoted to
        "recovery_target_timeline = 'current'",
    ]


def render_hba() -> str:
    """The superuser may use the socket without a password (its directory is ours, mode 0700);
    everyone else, and everything over TCP, uses scram-sha-256."""
    return (
        "# written by launchdeck\n"
        "# TYPE  DATABASE     USER      ADDRESS       METHOD\n"
        f"local   all          {SUPERUSER}                trust\n"
        f"local   replication  {SUPERUSER}                trust\n"
        "local   all          all                     scram-sha-256\n"
        "host    all          all       127.0.0.1/32  scram-sha-256\n"
        f"host    replication  {SUPERUSER}  127.0.0.1/32  scram-sha-256\n"
    )
