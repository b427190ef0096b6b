"""Talking SQL to a PostgreSQL server through the `psql` binary (no driver library needed).

SQL goes in on stdin and passwords in PGPASSWORD, so neither shows in the process list; rows come
back as CSV. Also the quoting helpers and the SCRAM-SHA-256 verifier, so a role's plain password
never reaches the server (nor its logs).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from launchdeck.drivers.local.addon_errors import AddonQueryFailed
from launchdeck.system import Command, Result, Runner

CLIENT_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to connect; `host` is 127.0.0.1 or a socket directory."""

    host: str
    port: int
    user: str
    database: str
    password: str | None = field(default=None, repr=False)


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


class Psql:
    def __init__(self, binary: str, runner: Runner, *, timeout: float = 120.0) -> None:
        self.binary = binary
        self.runner = runner
        self.timeout = timeout

    def command(self, endpoint: Endpoint, sql: str) -> Command:
        argv = (
            self.binary, "-X", "-q", "--csv", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", endpoint.host, "-p", str(endpoint.port),
            "-U", endpoint.user, "-d", endpoint.database, "-f", "-",
        )  # fmt: skip
        env = client_env(endpoint.password)
        return Command(argv, env=env, timeout=self.timeout, input=sql.encode())

    def run(self, endpoint: Endpoint, sql: str) -> Result:
        """Run without raising: for callers that expect a refusal."""
        return self.runner.run(self.command(endpoint, sql), check=False)

    def query(self, endpoint: Endpoint, sql: str) -> list[list[str]]:
        result = self.run(endpoint, sql)
        if not result.ok:
            raise AddonQueryFailed(
                f"psql as {endpoint.user!r} on database {endpoint.database!r} "
                f"({endpoint.host}:{endpoint.port}) failed: {first_error(result.output)}"
            )
        return [row for row in csv.reader(io.StringIO(result.stdout)) if row]

    def scalar(self, endpoint: Endpoint, sql: str) -> str:
        rows = self.query(endpoint, sql)
        return rows[-1][0] if rows and rows[-1] else ""


def first_error(output: str) -> str:
    """The line that says why, without psql's file-and-line prefix."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        for marker in ("FATAL:", "ERROR:", "error:"):
            if marker in line:
                return line[line.index(marker) :]
    return lines[-1] if lines else "(no output)"


def ident(name: str) -> str:
    """A quoted SQL identifier: `shop-a_staging` needs the quotes for its hyphen."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = 4096) -> str:
    """What `CREATE ROLE ... PASSWORD` stores for scram-sha-256 (RFC 5802 / 7677)."""
    salt = os.urandom(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
        f"${b64(stored_key).decode()}:{b64(server_key).decode()}"
    )
