"""PostgreSQL as an app uses it, through the CLI: examples/notes asks for it in its manifest,
migrates in its release phase and keeps its rows through a control-plane restart, a PostgreSQL
restart and a SIGKILL of the postmaster under traffic. Environments never share a database."""

import http.client
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.harness import ROOT

pytestmark = pytest.mark.e2e

NOTES = ROOT / "examples" / "notes"


def call(port: int, method: str, path: str, body: str | None = None, env: str = "staging"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body=body, headers={"Host": f"notes-{env}.localhost"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    except (OSError, ValueError):
        return 0, {}
    finally:
        conn.close()


def notes(port: int, env: str = "staging") -> list[str]:
    status, body = call(port, "GET", "/notes", env=env)
    assert status == 200, body
    return [n["body"] for n in body["notes"]]


def eventually(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def postmaster(addons: Path) -> int:
    [pidfile] = addons.glob("postgres/*/data/postmaster.pid")
    return int(pidfile.read_text().split()[0])


def test_notes_keep_their_rows_through_restarts_and_a_killed_postmaster(cp, tmp_path):
    app = tmp_path / "notes"
    shutil.copytree(NOTES, app)
    cp.cli("apps", "create", "notes")

    out = cp.cli("deploy", str(app), "--app", "notes", timeout=300).out
    assert "database notes_staging ready: DATABASE_URL" in out
    assert "migrated: table notes is ready" in out
    assert "DATABASE_URL" in cp.cli("config", "list", "--app", "notes").out
    assert "postgres://" not in cp.cli("config", "list", "--app", "notes", "--json").out

    for n in range(5):
        assert call(cp.http_port, "POST", "/notes", f"note {n}")[0] == 201
    written = notes(cp.http_port)
    assert written == [f"note {n}" for n in range(5)]

    # the control plane and PostgreSQL restart: the same rows come back
    cp.cli("server", "stop")
    os.kill(postmaster(cp.addons), signal.SIGTERM)  # a clean PostgreSQL shutdown
    eventually(lambda: not any(cp.addons.glob("postgres/*/data/postmaster.pid")))
    cp.start()
    assert eventually(lambda: notes(cp.http_port) == written)

    # SIGKILL the postmaster while notes are being written: the reconciler restarts it, the
    # app recovers, and every note the app acknowledged is there
    acknowledged: list[str] = []
    killed = False
    for n in range(150):
        status, _ = call(cp.http_port, "POST", "/notes", f"load {n}")
        if status == 201:
            acknowledged.append(f"load {n}")
        if n == 30:
            os.kill(postmaster(cp.addons), signal.SIGKILL)
            killed = True
        time.sleep(0.01)
    assert killed
    eventually(lambda: call(cp.http_port, "GET", "/health")[0] == 200)
    status, _ = call(cp.http_port, "POST", "/notes", "after the crash")
    assert status == 201
    stored = notes(cp.http_port)
    assert set(acknowledged) <= set(stored) and "after the crash" in stored
    assert len(acknowledged) > 30

    # production gets its own database; staging's login cannot open it
    cp.cli(
        "promote", "--app", "notes", "--from", "staging", "--to", "production", "--yes", timeout=300
    )
    assert notes(cp.http_port, env="production") == []
    staging_url = cp.cli("db", "url", "--app", "notes").out.strip()
    production_db = staging_url.rsplit("/", 1)[0] + "/notes_production"
    refused = subprocess.run(
        ["psql", production_db, "-c", "SELECT 1"], capture_output=True, text=True, timeout=30
    )
    assert refused.returncode != 0 and "permission denied" in refused.stderr


def test_an_add_on_version_that_is_not_installed_names_the_package(cp):
    cp.cli("apps", "create", "shop")

    refused = cp.cli("addons", "create", "postgres", "--version", "9", "--app", "shop", check=False)

    assert refused.code == 1
    assert "PostgreSQL 9 is not installed" in refused.err
    assert "apt-get install postgresql-9" in refused.err
    assert cp.cli("config", "list", "--app", "shop", "--json").json() == {}


NEWCOMER_APP = """\
import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        with psycopg.connect(os.environ["DATABASE_URL"]) as db:
            row = db.execute("SELECT current_user, current_database()").fetchone()
        body = json.dumps({"user": row[0], "database": row[1]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""


def test_an_app_named_pg_with_only_a_web_command_gets_a_database_and_traffic(cp, tmp_path):
    """Two traps a newcomer fell into: PostgreSQL reserves every role named pg_*, and a `web`
    service without a `port` line was a worker that got no traffic."""
    app = tmp_path / "pg"
    app.mkdir()
    (app / "app.py").write_text(NEWCOMER_APP)
    (app / "requirements.txt").write_text((NOTES / "requirements.txt").read_text())
    (app / "launchdeck.toml").write_text(
        'app = "pg"\n[addons.postgres]\n[services.web]\ncommand = "python app.py"\n'
    )
    cp.cli("apps", "create", "pg")

    out = cp.cli("deploy", str(app), "--app", "pg", timeout=300).out

    assert "database pg_staging ready: DATABASE_URL" in out
    status, body = cp.get("pg")
    assert status == 200, body
    assert body == {"user": "ld_pg_staging", "database": "pg_staging"}
    [web] = cp.cli("ps", "--app", "pg", "--json").json()
    assert web["health"] == "healthy" and web["port"]
