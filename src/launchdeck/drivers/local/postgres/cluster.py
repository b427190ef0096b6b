"""A PostgreSQL cluster the control plane runs: Debian's binaries for one major version, its own
data directory, 127.0.0.1 on its own port, password auth, continuous WAL archiving, and one role
and one database per app environment.

The postmaster is started by `pg_ctl -w`, which puts it in its own session: it outlives the
control plane, and `ensure_running` adopts it again through `postmaster.pid`. A process is ours
when its working directory is our data directory (postgres changes into it), which survives pid
reuse and tells two clusters on one host apart. As root, initdb and the server run as the
`postgres` system account (see service_user).
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import psutil
from psycopg.abc import Params

from launchdeck.drivers.local import daemons
from launchdeck.drivers.local.addon_errors import (
    AddonNotInstalled,
    AddonQueryFailed,
    AddonStartFailed,
    InvalidAddonInput,
    VersionMismatch,
)
from launchdeck.drivers.local.credential_store import CredentialStore, environment_key
from launchdeck.drivers.local.postgres import sql
from launchdeck.drivers.local.postgres.client import CLIENT_PATH, Endpoint, Row, Session, Statement
from launchdeck.drivers.local.postgres.config import (
    CONF_NAME,
    INCLUDE_LINE,
    SUPERUSER,
    ClusterLayout,
    Recovery,
    ServerSettings,
    render_conf,
    render_hba,
)
from launchdeck.drivers.local.service_user import ServiceUser, service_user
from launchdeck.system import (
    SYSTEM_CLOCK,
    Clock,
    Command,
    Result,
    Runner,
    atomic_write,
    wait_until,
)

DEBIAN_LIB_ROOT = Path("/usr/lib/postgresql")
_VERSION = re.compile(r"^[1-9][0-9]?$")
StopMode = Literal["smart", "fast", "immediate"]
_SERVER_ENV = {"PATH": CLIENT_PATH, "LC_ALL": "C.UTF-8", "TZ": "UTC"}


@dataclass(frozen=True)
class PostgresBinaries:
    version: str  # the major version, as Debian names its directory
    bindir: Path

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


@dataclass(frozen=True)
class Credentials:
    """One app environment's login: its role owns its database (the same name)."""

    role: str
    database: str
    password: str = field(repr=False)


def installed_versions(lib_root: Path = DEBIAN_LIB_ROOT) -> list[str]:
    found = [p.name for p in lib_root.glob("*") if (p / "bin" / "postgres").is_file()]
    return sorted(found, key=lambda v: int(v) if v.isdigit() else 0)


def find_postgres(version: str, *, lib_root: Path = DEBIAN_LIB_ROOT) -> PostgresBinaries:
    if not _VERSION.fullmatch(version):
        raise InvalidAddonInput(
            f"postgres version {version!r} is not a major version: use one like '15' or '16'"
        )
    bindir = lib_root / version / "bin"
    if not (bindir / "postgres").is_file():
        installed = ", ".join(installed_versions(lib_root)) or "none"
        raise AddonNotInstalled(
            f"PostgreSQL {version} is not installed (no {bindir}/postgres; installed here: "
            f"{installed})",
            f"postgresql-{version}",
        )
    return PostgresBinaries(version, bindir)


class PostgresCluster:
    def __init__(
        self,
        layout: ClusterLayout,
        binaries: PostgresBinaries,
        *,
        port: int,
        runner: Runner | None = None,
        clock: Clock = SYSTEM_CLOCK,
        user: ServiceUser | None = None,
        archive: bool = True,
        shared_buffers: str = "128MB",
    ) -> None:
        self.layout = layout
        self.binaries = binaries
        self.port = port
        self.runner = runner or Runner()
        self.clock = clock
        self.user = user or service_user(SUPERUSER, package=f"postgresql-{binaries.version}")
        self.archive = archive
        self.shared_buffers = shared_buffers
        self.credentials = CredentialStore(layout.secrets)

    def __repr__(self) -> str:
        return f"PostgresCluster({self.layout.root}, {self.binaries.version}, port={self.port})"

    # -- creating ----------------------------------------------------------------------------

    def initialized(self) -> bool:
        return (self.layout.data / "PG_VERSION").is_file()

    def init(self) -> None:
        """initdb once; later calls only check the data directory's major version."""
        if self.initialized():
            self._check_version()
            return
        self.user.check_reachable(self.layout.root)
        self.user.make_dirs(*self.layout.server_dirs())
        pwfile = self.layout.run / "initdb.pw"  # initdb reads it as the service user
        atomic_write(pwfile, self.credentials.get_or_create(SUPERUSER), mode=0o600)
        self.user.own(pwfile)
        try:
            result = self._run_as_server(self._initdb(pwfile), timeout=120.0)
        finally:
            pwfile.unlink(missing_ok=True)
        if not result.ok:
            raise AddonStartFailed(
                f"initdb could not create {self.layout.data} (exit {result.returncode}):\n"
                f"{_tail(result.output)}"
            )
        conf = self.layout.data / "postgresql.conf"
        conf.write_text(conf.read_text() + f"\n{INCLUDE_LINE}\n")
        self._write_server_file("pg_hba.conf", render_hba())

    def _initdb(self, pwfile: Path) -> tuple[str, ...]:
        return (
            self.binaries.tool("initdb"), "-D", str(self.layout.data), "-U", SUPERUSER,
            f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256",
            "--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums",
        )  # fmt: skip

    def _check_version(self) -> None:
        found = (self.layout.data / "PG_VERSION").read_text().strip()
        if found != self.binaries.version:
            raise VersionMismatch(
                f"{self.layout.data} was initialized by PostgreSQL {found}, not "
                f"{self.binaries.version}",
                f"ask for version {found!r}, or move the data with pg_upgrade first",
            )

    # -- running -----------------------------------------------------------------------------

    def settings(self, recovery: Recovery | None = None) -> ServerSettings:
        archive = self.layout.archive if self.archive else None
        return ServerSettings(self.port, self.layout.run, archive, recovery=recovery,
                              shared_buffers=self.shared_buffers)  # fmt: skip

    def start(self, *, recovery: Recovery | None = None, timeout: float = 60.0) -> int:
        """Write our config, then `pg_ctl start -w`; returns the postmaster's pid."""
        self._write_server_file(CONF_NAME, render_conf(self.settings(recovery)))
        if self.pid() is None:
            self._clear_stale_locks()
        argv = (self.binaries.tool("pg_ctl"), "start", "-w", "-t", str(int(timeout)), "-s",
                "-D", str(self.layout.data), "-l", str(self.layout.log))  # fmt: skip
        log_start = self._log_size()
        result = self._run_as_server(argv, timeout=timeout + 15)
        pid = self.pid()
        if not result.ok or pid is None:
            raise AddonStartFailed(self._start_failure(result, log_start))
        return pid

    def _start_failure(self, result: Result, log_start: int) -> str:
        log = self.log_tail(since=log_start)
        port_taken = "could not bind" in log or "already in use" in log
        hint = (f"is another program using port {self.port}? fix: give the cluster a free "
                "port; ") if port_taken else ""  # fmt: skip
        return (
            f"PostgreSQL {self.binaries.version} on 127.0.0.1:{self.port} did not start "
            f"(pg_ctl exit {result.returncode}); {hint}log {self.layout.log}:\n"
            f"{log or _tail(result.output)}"
        )

    def ensure_running(self, *, timeout: float = 60.0) -> int:
        """Init if needed, and start unless the postmaster runs; returns its pid."""
        self.init()
        pid = self.pid()
        return pid if pid is not None else self.start(timeout=timeout)

    def stop(self, *, mode: StopMode = "fast", timeout: float = 60.0) -> None:
        """pg_ctl stop (fast: roll back open transactions, checkpoint); SIGKILL what is left."""
        if self.pid() is not None:
            argv = (self.binaries.tool("pg_ctl"), "stop", "-w", "-t", str(int(timeout)), "-s",
                    "-m", mode, "-D", str(self.layout.data))  # fmt: skip
            self._run_as_server(argv, timeout=timeout + 15)
        self._stop_leftovers(grace=5.0)

    def pid(self) -> int | None:
        """The postmaster's pid from postmaster.pid, if that process runs and is ours."""
        try:
            pid = int((self.layout.data / "postmaster.pid").read_text().split("\n", 1)[0])
            proc = psutil.Process(pid)
        except (OSError, ValueError, psutil.Error):
            return None
        return pid if self._is_ours(proc) else None

    def alive(self) -> bool:
        return self.pid() is not None

    def processes(self) -> list[psutil.Process]:
        """The postmaster and every backend and helper of this cluster, orphans included."""
        return [proc for proc in psutil.process_iter() if self._is_ours(proc)]

    def _is_ours(self, proc: psutil.Process) -> bool:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE or "postgres" not in proc.name():
                return False
            return Path(proc.cwd()) == self.layout.data.resolve()
        except (psutil.Error, OSError):
            return False

    def _stop_leftovers(self, grace: float = 10.0) -> None:
        """Backends of a killed postmaster exit on their own, and hold the shared memory a new
        postmaster refuses to share; wait for them, then SIGKILL the rest."""
        left = daemons.wait_gone(self.processes(), grace, clock=self.clock)
        daemons.send(left, signal.SIGKILL)
        daemons.wait_gone(left, 5.0, clock=self.clock)

    def _clear_stale_locks(self) -> None:
        """A killed postmaster leaves its lock files naming its pid, which a new postmaster
        honours while that pid exists (a zombie nobody reaped yet, or a recycled pid)."""
        self._stop_leftovers()
        (self.layout.data / "postmaster.pid").unlink(missing_ok=True)
        for lock in self.layout.run.glob(".s.PGSQL.*.lock"):
            lock.unlink(missing_ok=True)

    def log_tail(self, lines: int = 15, *, since: int = 0) -> str:
        """The last `lines` of the server log, of what was written after offset `since`."""
        try:
            with self.layout.log.open("rb") as fh:
                fh.seek(since)
                return _tail(fh.read().decode(errors="replace"), lines)
        except OSError:
            return ""

    def _log_size(self) -> int:
        try:
            return self.layout.log.stat().st_size
        except OSError:
            return 0

    def _run_as_server(self, argv: tuple[str, ...], *, timeout: float) -> Result:
        command = Command(self.user.wrap(argv), env=_SERVER_ENV, timeout=timeout)
        return self.runner.run(command, check=False)

    def _write_server_file(self, name: str, text: str) -> None:
        path = self.layout.data / name
        atomic_write(path, text, mode=0o600)
        self.user.own(path)

    # -- databases ---------------------------------------------------------------------------

    def admin(self, database: str = "postgres") -> Endpoint:
        """The superuser over TCP with its password: the same way in whether we run as root or as
        the server's account (the socket directory belongs to that account)."""
        password = self.credentials.get(SUPERUSER)
        return Endpoint("127.0.0.1", self.port, SUPERUSER, database, password)

    def endpoint(self, creds: Credentials) -> Endpoint:
        return Endpoint("127.0.0.1", self.port, creds.role, creds.database, creds.password)

    @contextmanager
    def session(self, database: str = "postgres") -> Iterator[Session]:
        """A connection as the superuser; raises AddonQueryFailed when the server refuses."""
        with Session(self.admin(database)) as session:
            yield session

    def query(
        self, statement: Statement, params: Params | None = None, *, database: str = "postgres"
    ) -> list[Row]:
        with self.session(database) as session:
            return session.execute(statement, params)

    def ensure_database(self, app: str, env: str) -> Credentials:
        """The environment's role and database, created when missing (idempotent)."""
        name = environment_key(app, env)
        role = sql.role_name(name)
        password = self.credentials.get_or_create(name)
        with self.session() as session:
            sql.ensure_role(session, role, password)
            sql.ensure_database(session, name, role)
        return Credentials(role=role, database=name, password=password)

    def database_url(self, creds: Credentials) -> str:
        user, password = quote(creds.role, safe=""), quote(creds.password, safe="")
        return f"postgres://{user}:{password}@127.0.0.1:{self.port}/{quote(creds.database)}"

    def admin_url(self) -> str:
        password = quote(self.credentials.get_or_create(SUPERUSER), safe="")
        return f"postgres://{SUPERUSER}:{password}@127.0.0.1:{self.port}/postgres"

    def drop_database(self, app: str, env: str) -> None:
        """Drop the environment's database (closing its connections) and its role."""
        name = environment_key(app, env)
        with self.session() as session:
            sql.drop_database(session, name)
        self.credentials.forget(name)

    def app_databases(self) -> list[str]:
        return [str(row[0]) for row in self.query(sql.APP_DATABASES)]

    def row_counts(self) -> dict[str, dict[str, int]]:
        """Exact row counts of every table of every app database: {database: {table: n}}."""
        return {
            db: {table: int(n) for table, n in self.query(sql.ROW_COUNTS, database=db)}
            for db in self.app_databases()
        }

    def archive_wal(self, *, timeout: float = 60.0) -> str:
        """Close the current WAL segment and wait until it is in the archive; returns its name."""
        with self.session() as session:
            segment = sql.switch_wal(session)
        archived = (self.layout.archive / segment).is_file
        if not wait_until(archived, timeout=timeout, interval=0.05, clock=self.clock):
            raise AddonQueryFailed(
                f"WAL segment {segment} was not archived within {timeout:g}s; see "
                f"archive_command errors in {self.layout.log}"
            )
        return segment


def open_cluster(
    version: str,
    *,
    root: Path,
    port: int,
    runner: Runner | None = None,
    clock: Clock = SYSTEM_CLOCK,
    lib_root: Path = DEBIAN_LIB_ROOT,
) -> PostgresCluster:
    """The cluster of `version` kept under `root` (e.g. $LAUNCHDECK_HOME/addons/postgres/15)."""
    binaries = find_postgres(version, lib_root=lib_root)
    return PostgresCluster(ClusterLayout(root), binaries, port=port, runner=runner, clock=clock)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
