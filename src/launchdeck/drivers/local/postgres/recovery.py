"""Turning a base backup plus the WAL archive into a running cluster: unpack the backup's tar
archives into a new data directory, start it in archive recovery up to a target, and wait until
it has promoted itself to a primary of its own.

A restored cluster gets its own root (data, socket, log and a fresh WAL archive of its own, so
its new timeline never mixes with the source's archive) and a copy of the source's passwords,
which match the role hashes in the restored catalog.
"""

from __future__ import annotations

import socket
from pathlib import Path

from launchdeck.drivers.local.addon_errors import (
    AddonQueryFailed,
    AddonStartFailed,
    InvalidAddonInput,
    RestoreFailed,
)
from launchdeck.drivers.local.postgres.cluster import PostgresCluster
from launchdeck.drivers.local.postgres.config import ClusterLayout, Recovery
from launchdeck.system import Command, atomic_write, wait_until

BASE_ARCHIVE = "base.tar.gz"
WAL_ARCHIVE = "pg_wal.tar.gz"
MANIFEST = "backup_manifest"  # pg_basebackup's, with a checksum of every file
_FAILURE_MARKERS = ("FATAL:", "PANIC:", "ERROR:")


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Restorer:
    """Restores backups of `source` (its binaries, service account, runner and clock)."""

    def __init__(self, source: PostgresCluster) -> None:
        self.source = source
        self.runner = source.runner
        self.clock = source.clock
        self.user = source.user

    def unpack(self, backup_dir: Path, root: Path, *, timeout: float = 3600.0) -> ClusterLayout:
        """A data directory under `root` holding the backup, ready for recovery."""
        layout = ClusterLayout(root)
        if layout.data.exists() and any(layout.data.iterdir()):
            raise InvalidAddonInput(
                f"{layout.data} already holds a data directory", "restore into a new directory"
            )
        self.user.check_reachable(root)
        self.user.make_dirs(*layout.server_dirs(), layout.data)
        self._untar(backup_dir / BASE_ARCHIVE, layout.data, timeout)
        wal = backup_dir / WAL_ARCHIVE
        if wal.exists():
            (layout.data / "pg_wal").mkdir(mode=0o700, exist_ok=True)
            self._untar(wal, layout.data / "pg_wal", timeout)
        self._verify_files(backup_dir, layout, timeout)
        layout.data.chmod(0o700)
        self.user.own_tree(layout.data)
        self.source.credentials.copy_to(layout.secrets)
        return layout

    def _untar(self, archive: Path, into: Path, timeout: float) -> None:
        # --ignore-zeros reads on past the end-of-archive blocks to the end of the gzip stream, so
        # damage there still fails gzip's CRC check instead of going unnoticed
        argv = ("tar", "-x", "-z", "--ignore-zeros", "--no-same-owner", "-f", str(archive),
                "-C", str(into))  # fmt: skip
        result = self.runner.run(Command(argv, timeout=timeout), check=False)
        if not result.ok:
            why = "; ".join(result.output.splitlines()[:3]) or f"tar exited {result.returncode}"
            raise RestoreFailed(f"could not unpack {archive.name}: {why}")

    def _verify_files(self, backup_dir: Path, layout: ClusterLayout, timeout: float) -> None:
        """Every file against the checksums pg_basebackup wrote into backup_manifest, and the
        WAL the backup needs, before the server ever reads them."""
        manifest = backup_dir / MANIFEST
        if not manifest.is_file():
            return
        argv = (self.source.binaries.tool("pg_verifybackup"), "-q", "-m", str(manifest),
                "-w", str(layout.data / "pg_wal"), str(layout.data))  # fmt: skip
        result = self.runner.run(Command(argv, timeout=timeout), check=False)
        if not result.ok:
            why = "; ".join(result.output.splitlines()[:3]) or f"exit {result.returncode}"
            raise RestoreFailed(f"the unpacked backup does not match its backup_manifest: {why}")

    def recover(
        self,
        layout: ClusterLayout,
        *,
        port: int,
        recovery: Recovery,
        archive: bool = True,
        timeout: float = 600.0,
    ) -> PostgresCluster:
        """Start the unpacked cluster in archive recovery and wait for its promotion."""
        cluster = PostgresCluster(
            layout,
            self.source.binaries,
            port=port,
            runner=self.runner,
            clock=self.clock,
            user=self.user,
            archive=archive,
            shared_buffers=self.source.shared_buffers,
        )
        signal_file = layout.data / "recovery.signal"
        atomic_write(signal_file, "", mode=0o600)
        self.user.own(signal_file)
        try:
            cluster.start(recovery=recovery, timeout=timeout)
            self._await_promotion(cluster, timeout)
        except (AddonStartFailed, RestoreFailed) as exc:
            cluster.stop(mode="immediate")
            reasons = failure_lines(cluster.log_tail(40)) or str(exc)
            raise RestoreFailed(
                f"recovery of {layout.data} did not finish: {reasons}; log: {layout.log}"
            ) from None
        return cluster

    def _await_promotion(self, cluster: PostgresCluster, timeout: float) -> None:
        def promoted() -> bool:
            if not cluster.alive():
                raise RestoreFailed("the server stopped during recovery")
            try:
                return cluster.query("SELECT pg_is_in_recovery()") == [(False,)]
            except AddonQueryFailed:
                return False  # not accepting connections yet

        if not wait_until(promoted, timeout=timeout, interval=0.1, clock=self.clock):
            raise RestoreFailed(f"still recovering after {timeout:g}s")


def failure_lines(log: str, limit: int = 3) -> str:
    """The log lines that say why recovery failed, without their timestamp prefix."""
    found = []
    for line in log.splitlines():
        for marker in _FAILURE_MARKERS:
            if marker in line:
                found.append(" ".join(line[line.index(marker) :].split()))
                break
    return "; ".join(found[-limit:])
