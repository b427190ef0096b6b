"""Backups, restores and pulls of examples/notes through the CLI, as an operator types them: a
point-in-time restore brings back exactly the notes of that moment (bad requests change
nothing), a corrupted backup fails its verification and alerts the webhook, and `db pull`
copies production's notes into staging through the scrub command. One control plane and one
deploy per environment for the whole module."""

from __future__ import annotations

import http.client
import json
import math
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tests.harness import ROOT, ControlPlane, make_control_plane
from tests.webhooks import Webhooks

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

NOTES = ROOT / "examples" / "notes"
SCRUB = """\
import os

import psycopg

with psycopg.connect(os.environ["DATABASE_URL"]) as db:
    db.execute("UPDATE notes SET body = 'scrubbed'")
print("scrubbed every note", flush=True)
"""


@dataclass
class Plane:
    cp: ControlPlane
    hooks: Webhooks

    def call(self, env: str, method: str, path: str, body: str | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.cp.http_port, timeout=5)
        try:
            conn.request(method, path, body=body, headers={"Host": f"notes-{env}.localhost"})
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    def write(self, env: str, *bodies: str) -> None:
        for body in bodies:
            assert self.call(env, "POST", "/notes", body)[0] == 201

    def notes(self, env: str) -> list[str]:
        status, body = self.call(env, "GET", "/notes")
        assert status == 200, body
        return [n["body"] for n in body["notes"]]

    def url(self, env: str) -> str:
        return self.cp.cli("db", "url", "--app", "notes", "--env", env).out.strip()

    def sql(self, env: str, statement: str) -> None:
        subprocess.run(
            ["psql", self.url(env), "-c", statement], check=True, capture_output=True, timeout=30
        )

    def db(self, *args: str, check: bool = True):
        return self.cp.cli("db", *args, "--app", "notes", check=check, timeout=300)


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plane]:
    tmp = tmp_path_factory.mktemp("backups")
    cp = make_control_plane(tmp)
    hooks = Webhooks()
    app = tmp / "notes"
    shutil.copytree(NOTES, app)
    (app / "scrub.py").write_text(SCRUB)
    manifest = (app / "launchdeck.toml").read_text()
    manifest = manifest.replace('version = "15"\n', 'version = "15"\nscrub = "python scrub.py"\n')
    manifest = manifest.replace("scale = { count = 2 }", "scale = { count = 1 }")
    manifest += f'\n[notify]\nwebhooks = ["{hooks.url}/ok"]\non = ["failed"]\n'
    (app / "launchdeck.toml").write_text(manifest)
    cp.start()
    try:
        cp.cli("apps", "create", "notes")
        for env in ("staging", "production"):
            cp.cli("deploy", str(app), "--app", "notes", "--env", env, timeout=300)
        yield Plane(cp, hooks)
    finally:
        cp.stop_everything()
        hooks.close()


def moment_after_now() -> tuple[str, float]:
    """The next whole second (as the CLI takes it), once it has passed."""
    when = math.ceil(time.time()) + 1
    while time.time() < when + 0.3:
        time.sleep(0.05)
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), when


def test_a_point_in_time_restore_brings_back_exactly_the_notes_of_that_moment(plane: Plane) -> None:
    plane.write("production", "a0", "a1", "a2")
    taken = plane.db("backup", "--env", "production")
    assert "verified" in taken.out
    plane.write("production", "b0", "b1", "b2")
    noted, _ = moment_after_now()
    then = set(plane.notes("production"))
    plane.sql("production", "DELETE FROM notes WHERE body IN ('a0', 'b0')")
    plane.write("production", "c0")
    assert set(plane.notes("production")) == {"a1", "a2", "b1", "b2", "c0"}
    listed = plane.db("backups", "--env", "production", "--json").json()["backups"]
    [backup] = [b for b in listed if b["id"] in taken.out]
    url = plane.url("production")

    # bad requests say why and change nothing
    refusals = {
        (
            "--to",
            "2999-01-01T00:00:00Z",
        ): "cannot restore to 2999-01-01T00:00:00Z: it is in the future; the restorable window is ",
        (
            "--to",
            "2020-01-01T00:00:00Z",
        ): "cannot restore to 2020-01-01T00:00:00Z: it is before the oldest backup; the restorable window is ",
        ("--backup", "nope"): "no backup 'nope'; known backups (oldest first): ",
        (
            "--to",
            "yesterday",
        ): "--to 'yesterday' is not a time: use ISO 8601 with a timezone, e.g. 2026-11-22T10:15:00Z",
        ("--to", noted, "--backup", backup["id"]): "give either --to TIME or --backup ID, not both",
        (): "give either --to TIME or --backup ID",
    }
    for args, message in refusals.items():
        refused = plane.db("restore", "--env", "production", *args, "--yes", check=False)
        assert refused.code == 1, refused
        assert message in refused.err, refused.err
    assert (
        backup["id"]
        in plane.db("restore", "--env", "production", "--backup", "nope", "--yes", check=False).err
    )
    assert plane.url("production") == url
    assert not list(plane.cp.addons.glob("postgres/*/restores/*"))
    # production asks first
    asked = plane.db("restore", "--env", "production", "--to", noted, check=False)
    assert asked.code == 1 and "Restore production's database to the moment" in asked.out
    assert plane.url("production") == url

    restored = plane.db("restore", "--env", "production", "--to", noted, "--yes")

    assert "deployment succeeded" in restored.out
    assert set(plane.notes("production")) == then == {"a0", "a1", "a2", "b0", "b1", "b2"}
    assert plane.url("production") != url
    listed = plane.db("backups", "--env", "production", "--json").json()["backups"]
    assert {"id": backup["id"], "status": "verified"}.items() <= next(
        b for b in listed if b["id"] == backup["id"]
    ).items()
    assert any(b["cluster"].startswith("15/restores/") for b in listed)  # its own first backup

    # the database production left behind goes with prune; production keeps serving
    pruned = plane.cp.cli("db", "prune", "--yes")
    assert "notes_production" in pruned.out and "removed 1" in pruned.out
    assert set(plane.notes("production")) == then


def test_a_corrupted_backup_fails_verification_and_alerts_the_webhook(plane: Plane) -> None:
    plane.write("staging", "kept")
    taken = plane.db("backup", "--env", "staging", "--json").json()
    assert taken["status"] == "verified" and taken["rows"] == len(plane.notes("staging"))
    backup_id = taken["id"]
    [archive] = plane.cp.addons.glob(f"postgres/15/backups/{backup_id}/base.tar.gz")
    data = bytearray(archive.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 64):
        data[i] ^= 0xFF
    archive.write_bytes(bytes(data))

    checked = plane.db("verify", backup_id, "--env", "staging", check=False)

    assert checked.code == 1
    assert (
        f"backup {backup_id} failed verification: base.tar.gz does not match the checksum"
        in checked.err
    )
    listed = plane.db("backups", "--env", "staging", "--json").json()["backups"]
    assert next(b for b in listed if b["id"] == backup_id)["status"] == "failed"
    assert "FAILED: base.tar.gz does not match" in plane.db("backups", "--env", "staging").out
    told = ":x: notes/staging: backup failed"  # every environment of the cluster is told
    deadline = time.monotonic() + 20
    while told not in plane.hooks.texts("/ok") and time.monotonic() < deadline:
        time.sleep(0.05)
    alert = next(m for m in plane.hooks.received["/ok"] if m["text"] == told)
    detail = json.dumps(alert["blocks"])
    assert backup_id in detail and "does not match the checksum" in detail
    history = plane.cp.cli("alerts", "--app", "notes", "--json").json()["history"]
    assert history[0]["name"] == "backup-failed" and backup_id in history[0]["summary"]


def test_db_pull_copies_production_into_staging_through_the_scrub_command(plane: Plane) -> None:
    plane.write("production", "secret customer note")
    production = plane.notes("production")

    pulled = plane.db("pull", "--from", "production", "--to", "staging")

    assert "scrubbed every note" in pulled.out and "deployment succeeded" in pulled.out
    assert plane.notes("staging") == ["scrubbed"] * len(production)
    assert plane.notes("production") == production
    refused = plane.db("pull", "--from", "staging", "--to", "production", check=False)
    assert refused.code == 1 and "refusing to pull into 'production'" in refused.err
    assert plane.notes("production") == production
