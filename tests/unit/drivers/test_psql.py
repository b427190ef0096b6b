from __future__ import annotations

import psycopg

from launchdeck.drivers.local.postgres.client import Endpoint, connect_params, failure, first_error


def test_every_connection_parameter_is_given_so_the_environment_steers_nothing() -> None:
    endpoint = Endpoint("127.0.0.1", 5433, "shop_staging", "shop_staging", "pw")
    params = connect_params(endpoint, timeout=120)
    assert params == {
        "host": "127.0.0.1",
        "port": 5433,
        "user": "shop_staging",
        "dbname": "shop_staging",
        "password": "pw",
        "connect_timeout": 10,
        "application_name": "launchdeck",
        "options": "-c statement_timeout=120000",
        "sslmode": "disable",
        "gssencmode": "disable",
        "autocommit": True,
    }
    assert "pw" not in repr(endpoint)


def test_a_refused_connection_says_who_where_and_why() -> None:
    endpoint = Endpoint("127.0.0.1", 5433, "shop_staging", "shop_staging", "wrong")
    refused = psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5433 failed: FATAL:  '
        'password authentication failed for user "shop_staging"'
    )
    assert str(failure(endpoint, refused)) == (
        "SQL as 'shop_staging' on database 'shop_staging' (127.0.0.1:5433) failed: "
        'FATAL:  password authentication failed for user "shop_staging"'
    )
    down = psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5433 failed: Connection '
        "refused\n\tIs the server running on that host and accepting TCP/IP connections?"
    )
    assert str(failure(endpoint, down)).endswith(
        'failed: connection failed: connection to server at "127.0.0.1", port 5433 failed: '
        "Connection refused"
    )


def test_first_error_finds_the_line_that_says_why() -> None:
    output = "pg_dump: warning: x\npg_dump: error: connection to server failed\nmore\n"
    assert first_error(output) == "error: connection to server failed"
    assert first_error("one\ntwo\n") == "two"
    assert first_error("one\ntwo\n", fallback="first") == "one"
    assert first_error("") == "(no output)"
