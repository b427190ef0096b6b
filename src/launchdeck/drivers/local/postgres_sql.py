"""The SQL launchdeck runs as the cluster's superuser: one role and one database per app
environment, the walls between them, and the per-table row counts backups are checked against.

Pure: text in, text out. Names are validated before they get here and quoted anyway.
"""

from __future__ import annotations

from launchdeck.drivers.local.psql import ident, literal

ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def ensure_role(role: str, verifier: str) -> str:
    """Create the role, or reset its attributes and password (the same password, a new salt)."""
    return (
        "DO $launchdeck$\nBEGIN\n"
        f"  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {literal(role)}) THEN\n"
        f"    ALTER ROLE {ident(role)} WITH {ROLE_ATTRIBUTES} PASSWORD {literal(verifier)};\n"
        "  ELSE\n"
        f"    CREATE ROLE {ident(role)} WITH {ROLE_ATTRIBUTES} PASSWORD {literal(verifier)};\n"
        "  END IF;\nEND\n$launchdeck$;\n"
    )


def ensure_database(database: str, owner: str) -> str:
    """CREATE DATABASE cannot run inside DO or a transaction, so psql's \\gexec runs it when the
    database is missing. Only the owner may connect: a staging role is refused on production."""
    return (
        f"SELECT format('CREATE DATABASE %I OWNER %I', {literal(database)}, {literal(owner)})\n"
        f"WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = {literal(database)})\n"
        "\\gexec\n"
        f"ALTER DATABASE {ident(database)} OWNER TO {ident(owner)};\n"
        f"REVOKE ALL ON DATABASE {ident(database)} FROM PUBLIC;\n"
        f"GRANT CONNECT, TEMPORARY ON DATABASE {ident(database)} TO {ident(owner)};\n"
        # nor may an app role wander into the maintenance databases
        "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;\n"
        "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;\n"
    )


def drop_database(database: str, role: str) -> str:
    return (
        f"DROP DATABASE IF EXISTS {ident(database)} WITH (FORCE);\n"
        f"DROP ROLE IF EXISTS {ident(role)};\n"
    )


APP_DATABASES = (
    "SELECT datname FROM pg_database "
    "WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' ORDER BY 1;\n"
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
ORDER BY 1;
"""

# A commit stamped now (a time target needs a commit after it to stop at), then a segment
# switch so everything up to now goes to the archive.
SWITCH_WAL = "SELECT txid_current();\nSELECT pg_walfile_name(pg_switch_wal());\n"
