"""The client side of PostgreSQL: SQL through psycopg 3 (libpq), and a clean environment for the
client programs (pg_dump, pg_restore, pg_basebackup).

Values travel as bind parameters and names are composed with `psycopg.sql`, so nothing is quoted
by hand. Passwords go in the connection parameters, never on a command line. Every failure is an
AddonQueryFailed that names the role, database and server, with the server's own words.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import psycopg
from psycopg import sql
from psycopg.abc import Params

from launchdeck.drivers.local.addon_errors import AddonQueryFailed

CLIENT_PATH = "/usr/local/bin:/usr/bin:/bin"
Row: TypeAlias = tuple[Any, ...]
Statement: TypeAlias = str | sql.SQL | sql.Composed


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to connect; `host` is 127.0.0.1 or a socket directory."""

    host: str
    port: int
    user: str
    database: str
    password: str | None = field(default=None, repr=False)


class QueryFailed(AddonQueryFailed):
    """The server (or libpq) refused; `sqlstate` is the server's error code, when it sent one."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class Session:
    """One connection as one role to one database, in autocommit: each statement commits on its
    own, as CREATE DATABASE and ALTER SYSTEM require; `transaction()` groups statements."""

    def __init__(self, endpoint: Endpoint, *, timeout: float = 120.0) -> None:
        """`timeout` bounds each statement (statement_timeout), so a lock never hangs us."""
        self.endpoint = endpoint
        try:
            self._conn = psycopg.connect(**connect_params(endpoint, timeout=timeout))
        except psycopg.Error as exc:
            raise failure(endpoint, exc) from None

    def execute(self, statement: Statement, params: Params | None = None) -> list[Row]:
        """Run one statement; returns its rows ([] for a statement that returns none)."""
        try:
            cursor = self._conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            raise failure(self.endpoint, exc) from None

    def scalar(self, statement: Statement, params: Params | None = None) -> Any:
        """The first column of the last row, or None when there is no row."""
        rows = self.execute(statement, params)
        return rows[-1][0] if rows and rows[-1] else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            with self._conn.transaction():
                yield
        except psycopg.Error as exc:  # raised by COMMIT itself
            raise failure(self.endpoint, exc) from None

    def scram_verifier(self, password: str, role: str) -> str:
        """What `CREATE ROLE ... PASSWORD` stores for scram-sha-256, computed by libpq
        (PQencryptPasswordConn, as psql's \\password does) so the plain password never
        reaches the server."""
        raw = self._conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
        return raw.decode()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect_params(
    endpoint: Endpoint, *, timeout: float, connect_timeout: int = 10
) -> dict[str, Any]:
    """Every parameter given, so no PG* variable of the caller's environment steers ours."""
    return {
        "host": endpoint.host,
        "port": endpoint.port,
        "user": endpoint.user,
        "dbname": endpoint.database,
        "password": endpoint.password or "",
        "connect_timeout": connect_timeout,
        "application_name": "launchdeck",
        "options": f"-c statement_timeout={int(timeout * 1000)}",
        "sslmode": "disable",  # loopback or our socket: nothing to encrypt against
        "gssencmode": "disable",
        "autocommit": True,
    }


def query(endpoint: Endpoint, statement: Statement, params: Params | None = None) -> list[Row]:
    """One statement over a connection of its own."""
    with Session(endpoint) as session:
        return session.execute(statement, params)


def scalar(endpoint: Endpoint, statement: Statement, params: Params | None = None) -> Any:
    with Session(endpoint) as session:
        return session.scalar(statement, params)


def failure(endpoint: Endpoint, exc: psycopg.Error) -> QueryFailed:
    return QueryFailed(
        f"SQL as {endpoint.user!r} on database {endpoint.database!r} "
        f"({endpoint.host}:{endpoint.port}) failed: {reason(exc)}",
        exc.sqlstate,
    )


def reason(exc: psycopg.Error) -> str:
    """What the server said, as psql shows it (`ERROR:  relation "t" does not exist`); for a
    refused connection, libpq's line from its `FATAL:` on."""
    diag = exc.diag
    if diag.severity and diag.message_primary:
        return f"{diag.severity}:  {diag.message_primary}"
    return first_error(str(exc), fallback="first")


# -- the client programs ------------------------------------------------------------------------


def client_env(password: str | None = None, *, timeout: int = 10) -> Mapping[str, str]:
    """A clean environment: no PG* variable of the caller's leaks into our connections."""
    env = {
        "PATH": CLIENT_PATH,
        "LC_ALL": "C.UTF-8",
        "PGCONNECT_TIMEOUT": str(timeout),
        "PGAPPNAME": "launchdeck",
    }
    if password is not None:
        env["PGPASSWORD"] = password
    return env


def first_error(output: str, *, fallback: str = "last") -> str:
    """The line that says why, without a program's file-and-line prefix; else the `fallback`
    ("first" or "last") line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        for marker in ("FATAL:", "ERROR:", "error:"):
            if marker in line:
                return line[line.index(marker) :]
    if not lines:
        return "(no output)"
    return lines[0] if fallback == "first" else lines[-1]
