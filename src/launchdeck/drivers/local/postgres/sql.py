"""The SQL launchdeck runs as the cluster's superuser: one role and one database per app
environment, the walls between them, the per-table row counts backups are checked against, and
the renames that swap a pulled copy into place.

Names go in as `sql.Identifier` and values as bind parameters. Utility statements (CREATE ROLE,
ALTER DATABASE, ...) take no bind parameters, so the one value they carry, a role's password
verifier, goes in as `sql.Literal`, quoted by libpq.

Passwords: the verifier is computed on our side by libpq (Session.scram_verifier) and sent in
place of the password. The alternative, `ALTER ROLE ... PASSWORD 'plain'` hashed by the server,
would put the plain password into the statement text, which the server writes to its log whenever
log_statement covers DDL, and for any statement that fails (log_min_error_statement is `error` by
default), and which pg_stat_activity shows while it runs. A verifier in those places gives nothing
away that pg_authid does not already hold.
"""

from __future__ import annotations

from collections.abc import Callable

from psycopg import sql

from launchdeck.drivers.local.postgres.client import QueryFailed, Session

ROLE_ATTRIBUTES = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
OBJECT_IN_USE = "55006"  # a database someone is still connected to
RESERVED_ROLE_PREFIX = "pg_"  # PostgreSQL refuses to create any role whose name starts so
OUR_PREFIX = "ld_"


def role_name(database: str) -> str:
    """The login role that owns an app database: the database's own name (`<app>_<env>`),
    unless PostgreSQL reserves it (every role name starting with `pg_`: an app named `pg`); then
    `ld_<app>_<env>`. App and environment names hold no `_`, so that form (two of them) is never
    another environment's name, and every name that worked before keeps working unchanged.
    Database names have no reserved prefix, so the database keeps `<app>_<env>`."""
    if database.startswith(RESERVED_ROLE_PREFIX):
        return OUR_PREFIX + database
    return database


def role_statement(verb: str, role: str, verifier: str) -> sql.Composed:
    """`CREATE` or `ALTER` the role with our attributes and this password verifier."""
    return sql.SQL("{} ROLE {} WITH {} PASSWORD {}").format(
        sql.SQL(verb), sql.Identifier(role), ROLE_ATTRIBUTES, sql.Literal(verifier)
    )


def ensure_role(session: Session, role: str, password: str) -> None:
    """Create the role, or reset its attributes and password (the same password, a new salt)."""
    exists = session.scalar("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    verifier = session.scram_verifier(password, role)
    session.execute(role_statement("ALTER" if exists else "CREATE", role, verifier))


def database_walls(database: str, owner: str) -> list[sql.Composed]:
    """Only the owner may connect: a staging role is refused on production, and no app role may
    wander into the maintenance databases."""
    db, who = sql.Identifier(database), sql.Identifier(owner)
    return [
        sql.SQL("ALTER DATABASE {} OWNER TO {}").format(db, who),
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db),
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, who),
        sql.SQL("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC").format(),
        sql.SQL("REVOKE CONNECT ON DATABASE template1 FROM PUBLIC").format(),
    ]


def ensure_database(session: Session, database: str, owner: str) -> None:
    """Create the database when missing (CREATE DATABASE cannot run in a transaction, which is
    why the session is in autocommit), then put up its walls."""
    if not session.scalar("SELECT 1 FROM pg_database WHERE datname = %s", (database,)):
        create = sql.SQL("CREATE DATABASE {} OWNER {}")
        session.execute(create.format(sql.Identifier(database), sql.Identifier(owner)))
    for statement in database_walls(database, owner):
        session.execute(statement)


def drop_database_statement(database: str) -> sql.Composed:
    """Drop it, closing every connection to it."""
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))


def drop_database(session: Session, database: str) -> None:
    """Drop an app database and its role."""
    session.execute(drop_database_statement(database))
    role = sql.Identifier(role_name(database))
    session.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(role))


def allow_connections(database: str, allowed: bool) -> sql.Composed:
    return sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
        sql.Identifier(database), sql.SQL("true" if allowed else "false")
    )


def rename_database(old: str, new: str) -> sql.Composed:
    return sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
        sql.Identifier(old), sql.Identifier(new)
    )


TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()"
)


def swap_databases(
    session: Session,
    target: str,
    copy: str,
    old: str,
    *,
    sleep: Callable[[float], None],
    attempts: int = 100,
) -> None:
    """`target` becomes `old` and `copy` becomes `target`, both in one transaction. A backend
    still going away after its termination makes a rename fail with object_in_use, so the swap is
    retried for a few seconds."""
    for _ in range(attempts):
        session.execute(TERMINATE, ([target, copy],))
        try:
            with session.transaction():
                session.execute(rename_database(target, old))
                session.execute(rename_database(copy, target))
            return
        except QueryFailed as exc:
            if exc.sqlstate != OBJECT_IN_USE:
                raise
        sleep(0.05)
    raise QueryFailed(f"database {target} is still in use", OBJECT_IN_USE)


APP_DATABASES = (
    "SELECT datname FROM pg_database "
    "WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' ORDER BY 1"
)

# Exact counts in one statement: query_to_xml runs a count(*) per table inside the query.
ROW_COUNTS = """
SELECT n.nspname || '.' || c.relname,
       (xpath('/row/n/text()', query_to_xml(
           format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, ''
       )))[1]::text::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
ORDER BY 1
"""


def switch_wal(session: Session) -> str:
    """A commit stamped now (a time target needs a commit after it to stop at), then a segment
    switch so everything up to now goes to the archive; returns the closed segment's name."""
    session.execute("SELECT txid_current()")
    segment: str = session.scalar("SELECT pg_walfile_name(pg_switch_wal())")
    return segment
