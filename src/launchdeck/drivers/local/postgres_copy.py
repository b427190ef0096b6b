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

from launchdeck.drivers.local import postgres_sql as sql
from launchdeck.drivers.local.addon_errors import AddonQueryFailed
from launchdeck.drivers.local.postgres import Credentials, PostgresBinaries, PostgresCluster
from launchdeck.drivers.local.psql import client_env, first_error, ident, literal
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
        self.target.query(sql.ensure_database(self.copy.database, self.target_creds.role))
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
        self.target.query(f"ALTER DATABASE {ident(target)} WITH ALLOW_CONNECTIONS false;")
        try:
            self.target.query(_swap_sql(target, self.copy.database, self._old))
        except AddonQueryFailed:
            self.target.query(f"ALTER DATABASE {ident(target)} WITH ALLOW_CONNECTIONS true;")
            self.discard()
            raise
        self.target.query(f"DROP DATABASE IF EXISTS {ident(self._old)} WITH (FORCE);")

    def discard(self) -> None:
        self.target.query(f"DROP DATABASE IF EXISTS {ident(self.copy.database)} WITH (FORCE);")


def _swap_sql(target: str, copy: str, old: str) -> str:
    """Both renames in one transaction; a backend that is still going away after its
    termination makes the rename fail with object_in_use, so it is retried for a few seconds."""
    return (
        "DO $launchdeck$\nBEGIN\n"
        "  FOR attempt IN 1..100 LOOP\n"
        "    PERFORM pg_terminate_backend(pid) FROM pg_stat_activity\n"
        f"      WHERE datname IN ({literal(target)}, {literal(copy)})"
        " AND pid <> pg_backend_pid();\n"
        "    BEGIN\n"
        f"      EXECUTE {literal(f'ALTER DATABASE {ident(target)} RENAME TO {ident(old)}')};\n"
        f"      EXECUTE {literal(f'ALTER DATABASE {ident(copy)} RENAME TO {ident(target)}')};\n"
        "      RETURN;\n"
        "    EXCEPTION WHEN object_in_use THEN\n"
        "      PERFORM pg_sleep(0.05);\n"
        "    END;\n"
        "  END LOOP;\n"
        f"  RAISE EXCEPTION 'database % is still in use', {literal(target)};\n"
        "END\n$launchdeck$;\n"
    )


def _newer(a: PostgresBinaries, b: PostgresBinaries) -> PostgresBinaries:
    """pg_dump must be at least as new as the server it dumps."""
    return a if int(a.version) >= int(b.version) else b
