"""`db pull`: one environment's database copied over another's, without the target's instances
ever seeing a half-loaded or unscrubbed copy.

The source is dumped (`pg_dump -Fc`, as its own role) and loaded (`pg_restore --no-owner`, as the
target's role, so the target owns every object) into a fresh database beside the target's. The
caller runs its scrub command against that copy; `swap` then closes the target's connections
and renames the copy into its place in one transaction, and drops the old data. Until `swap`,
the target is untouched; `discard` drops the copy instead.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from launchdeck.drivers.local.addon_errors import AddonQueryFailed
from launchdeck.drivers.local.postgres import sql
from launchdeck.drivers.local.postgres.client import client_env, first_error
from launchdeck.drivers.local.postgres.cluster import Credentials, PostgresBinaries, PostgresCluster
from launchdeck.system import Command, Runner


class DatabaseCopy:
    def __init__(
        self,
        source: tuple[PostgresCluster, Credentials],
        target: tuple[PostgresCluster, Credentials],
        *,
        workdir: Path,
        runner: Runner,
        timeout: float = 3600.0,
    ) -> None:
        self.source, self.source_creds = source
        self.target, self.target_creds = target
        self.workdir = workdir
        self.runner = runner
        self.timeout = timeout
        self.binaries = _newer(self.source.binaries, self.target.binaries)
        suffix = secrets.token_hex(4)
        self.copy = Credentials(self.target_creds.role, f"ld_pull_{suffix}",
                                self.target_creds.password)  # fmt: skip
        self._old = f"ld_old_{suffix}"

    @property
    def url(self) -> str:
        """The copy's URL, for the scrub command."""
        return self.target.database_url(self.copy)

    def load(self) -> None:
        """Dump the source and load it into a fresh database owned by the target's role."""
        with self.target.session() as session:
            sql.ensure_database(session, self.copy.database, self.target_creds.role)
        dump = self.workdir / f"{self.copy.database}.dump"
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._run("pg_dump", self._dump_argv(dump), self.source_creds.password)
            dump.chmod(0o600)
            self._run("pg_restore", self._restore_argv(dump), self.copy.password)
        except BaseException:
            self.discard()
            raise
        finally:
            dump.unlink(missing_ok=True)

    def _dump_argv(self, into: Path) -> tuple[str, ...]:
        c = self.source_creds
        return (
            self.binaries.tool("pg_dump"), "-h", "127.0.0.1", "-p", str(self.source.port),
            "-U", c.role, "-d", c.database, "-w", "--format=custom", "--no-owner",
            "--no-privileges", "-f", str(into),
        )  # fmt: skip

    def _restore_argv(self, dump: Path) -> tuple[str, ...]:
        c = self.copy
        return (
            self.binaries.tool("pg_restore"), "-h", "127.0.0.1", "-p", str(self.target.port),
            "-U", c.role, "-d", c.database, "-w", "--clean", "--if-exists", "--no-owner",
            "--no-privileges", "--exit-on-error", "--single-transaction", str(dump),
        )  # fmt: skip

    def _run(self, what: str, argv: tuple[str, ...], password: str) -> None:
        command = Command(argv, env=client_env(password), timeout=self.timeout)
        result = self.runner.run(command, check=False)
        if not result.ok:
            raise AddonQueryFailed(f"{what} failed: {first_error(result.output)}")

    def swap(self) -> None:
        """Put the copy in the target's place; its instances' connections are closed."""
        target = self.target_creds.database
        self.target.query(sql.allow_connections(target, False))
        try:
            with self.target.session() as session:
                sql.swap_databases(session, target, self.copy.database, self._old,
                                   sleep=self.target.clock.sleep)  # fmt: skip
        except AddonQueryFailed:
            self.target.query(sql.allow_connections(target, True))
            self.discard()
            raise
        self.target.query(sql.drop_database_statement(self._old))

    def discard(self) -> None:
        self.target.query(sql.drop_database_statement(self.copy.database))


def _newer(a: PostgresBinaries, b: PostgresBinaries) -> PostgresBinaries:
    """pg_dump must be at least as new as the server it dumps."""
    return a if int(a.version) >= int(b.version) else b
