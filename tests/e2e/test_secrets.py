"""`config set --secret` as a user types it: the value reaches the instances and nowhere else —
not listings, not `--json`, not the logs launchdeck stores and shows, not the SQLite file."""

import re

import pytest

from tests.harness import copy_example

pytestmark = pytest.mark.e2e

TOKEN = "tok-9f8e7d6c5b4a"
GREETING = "psst-secret-greeting"


def test_a_secret_reaches_the_instances_and_nothing_that_stores_or_shows(cp, tmp_path):
    app = copy_example(tmp_path)
    manifest = app / "launchdeck.toml"
    text = manifest.read_text().replace(
        'command = "python app.py"',
        'command = "echo booting with $API_TOKEN && exec python app.py"',
    )
    manifest.write_text(text + '\n[release]\ncommand = "echo migrating as $API_TOKEN"\n')
    cp.cli("apps", "create", "hello")
    cp.cli(
        "config", "set", "--secret", f"API_TOKEN={TOKEN}", f"GREETING={GREETING}", "--app", "hello"
    )
    cp.cli("config", "set", "PLAIN=visible", "--app", "hello")

    deployed = cp.cli("deploy", str(app), "--app", "hello")
    assert "migrating as [REDACTED:API_TOKEN]" in deployed.out and TOKEN not in deployed.out

    status, body = cp.get("hello")
    assert status == 200 and body["greeting"] == GREETING  # in the instance env

    listed = cp.cli("config", "list", "--app", "hello")
    as_json = cp.cli("config", "list", "--app", "hello", "--json").json()
    assert as_json == {"API_TOKEN": "********", "GREETING": "********", "PLAIN": "visible"}
    assert re.search(r"API_TOKEN\s+\*{8}\s+secret", listed.out) and TOKEN not in listed.out

    logs = cp.cli("logs", "--app", "hello", "--grep", "booting")
    assert "booting with [REDACTED:API_TOKEN]" in logs.out and TOKEN not in logs.out
    for stored in (cp.home / "logs" / "hello").rglob("*.jsonl"):
        assert TOKEN.encode() not in stored.read_bytes()

    cp.cli("server", "stop")  # the store is flushed and closed: read the raw file as it lies
    for db in cp.home.glob("launchdeck.db*"):
        raw = db.read_bytes()
        assert TOKEN.encode() not in raw and GREETING.encode() not in raw
    cp.start()
    assert cp.cli("config", "get", "API_TOKEN", "--reveal", "--app", "hello").out == f"{TOKEN}\n"
