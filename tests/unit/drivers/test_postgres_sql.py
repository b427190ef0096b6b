from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from psycopg import sql

from launchdeck.drivers.local.postgres import sql as postgres_sql
from launchdeck.drivers.local.postgres.client import QueryFailed

PASSWORD = "plain-password-never-sent"
ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


class RecordingSession:
    """Answers the existence checks from `existing`, records everything else as SQL text."""

    def __init__(self, existing: set[str] = frozenset(), fail: list[QueryFailed] | None = None):
        self.existing = set(existing)
        self.fail = list(fail or [])
        self.statements: list[str] = []
        self.params: list[Any] = []
        self.transactions = 0

    def execute(self, statement: str | sql.Composable, params: Any = None) -> list[tuple[Any, ...]]:
        text = statement if isinstance(statement, str) else statement.as_string()
        self.statements.append(text)
        self.params.append(params)
        if text.startswith("ALTER DATABASE") and "RENAME" in text and self.fail:
            raise self.fail.pop(0)
        if "WHERE rolname = %s" in text or "WHERE datname = %s" in text:
            return [(1,)] if params[0] in self.existing else []
        return []

    def scalar(self, statement: str | sql.Composable, params: Any = None) -> Any:
        rows = self.execute(statement, params)
        return rows[-1][0] if rows else None

    def scram_verifier(self, password: str, role: str) -> str:
        assert password == PASSWORD
        return f"SCRAM-SHA-256$4096:salt$stored:server-of-{role}"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.transactions += 1
        yield

    def changes(self) -> list[str]:
        return [s for s in self.statements if not s.startswith("SELECT")]


def test_a_missing_role_is_created_with_a_verifier_never_the_password() -> None:
    session = RecordingSession()
    postgres_sql.ensure_role(session, "shop-a_staging", PASSWORD)  # type: ignore[arg-type]
    assert session.changes() == [
        f'CREATE ROLE "shop-a_staging" WITH {ATTRIBUTES} PASSWORD '
        "'SCRAM-SHA-256$4096:salt$stored:server-of-shop-a_staging'"
    ]
    assert PASSWORD not in repr((session.statements, session.params))


def test_an_existing_role_is_reset_to_our_attributes() -> None:
    session = RecordingSession(existing={"shop_staging"})
    postgres_sql.ensure_role(session, "shop_staging", PASSWORD)  # type: ignore[arg-type]
    [change] = session.changes()
    assert change.startswith(f'ALTER ROLE "shop_staging" WITH {ATTRIBUTES} PASSWORD ')
    assert session.params[0] == ("shop_staging",)  # looked up as a parameter, not spliced in


def test_names_are_quoted_by_the_library() -> None:
    assert postgres_sql.rename_database('odd"name', "x'y").as_string() == (
        'ALTER DATABASE "odd""name" RENAME TO "x\'y"'
    )
    assert (
        postgres_sql.role_statement("ALTER", "r", "it's").as_string().endswith("PASSWORD 'it''s'")
    )


def test_a_database_is_created_once_and_walled_off_every_time() -> None:
    session = RecordingSession()
    postgres_sql.ensure_database(session, "shop_staging", "shop_staging")  # type: ignore[arg-type]
    walls = [
        'ALTER DATABASE "shop_staging" OWNER TO "shop_staging"',
        'REVOKE ALL ON DATABASE "shop_staging" FROM PUBLIC',
        'GRANT CONNECT, TEMPORARY ON DATABASE "shop_staging" TO "shop_staging"',
        "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC",
        "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC",
    ]
    assert session.changes() == ['CREATE DATABASE "shop_staging" OWNER "shop_staging"', *walls]

    again = RecordingSession(existing={"shop_staging"})
    postgres_sql.ensure_database(again, "shop_staging", "shop_staging")  # type: ignore[arg-type]
    assert again.changes() == walls


def test_dropping_closes_connections_and_drops_the_role() -> None:
    session = RecordingSession()
    postgres_sql.drop_database(session, "shop_qa")  # type: ignore[arg-type]
    assert session.changes() == [
        'DROP DATABASE IF EXISTS "shop_qa" WITH (FORCE)',
        'DROP ROLE IF EXISTS "shop_qa"',
    ]


def test_a_swap_retries_while_the_database_is_in_use() -> None:
    in_use = QueryFailed("database is being accessed by other users", "55006")
    session = RecordingSession(fail=[in_use, in_use])
    slept: list[float] = []
    postgres_sql.swap_databases(session, "t", "c", "o", sleep=slept.append)  # type: ignore[arg-type]
    assert slept == [0.05, 0.05] and session.transactions == 3
    assert session.changes()[-2:] == [
        'ALTER DATABASE "t" RENAME TO "o"',
        'ALTER DATABASE "c" RENAME TO "t"',
    ]
    assert session.params[0] == (["t", "c"],)  # whose backends are terminated


def test_a_swap_gives_up_or_passes_other_errors_on() -> None:
    in_use = QueryFailed("in use", "55006")
    session = RecordingSession(fail=[in_use] * 3)
    with pytest.raises(QueryFailed) as info:
        postgres_sql.swap_databases(session, "t", "c", "o", sleep=lambda _: None, attempts=3)  # type: ignore[arg-type]
    assert str(info.value) == "database t is still in use"

    other = QueryFailed("permission denied", "42501")
    with pytest.raises(QueryFailed) as info:
        postgres_sql.swap_databases(
            RecordingSession(fail=[other]), "t", "c", "o", sleep=lambda _: None
        )  # type: ignore[arg-type]
    assert info.value is other
