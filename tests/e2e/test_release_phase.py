"""`[release] command` as a user sees it: it runs once per release, before the first new
instance starts (so before any traffic moves), and when it fails the deploy stops with its
output shown and nothing running changed."""

import json
from pathlib import Path

import pytest

from tests.harness import copy_example

pytestmark = pytest.mark.e2e


def with_release_command(app, command: str) -> None:
    manifest = app / "launchdeck.toml"
    text = manifest.read_text().replace(
        'command = "python app.py"', 'command = "date +%s.%N >> $STARTS && exec python app.py"'
    )
    manifest.write_text(text + f'\n[release]\ncommand = {json.dumps(command)}\ntimeout = "30s"\n')


def test_the_release_command_runs_before_new_instances_and_a_failure_changes_nothing(cp, tmp_path):
    # app code writes only its account's home: the release command and the instances share it
    home = Path(cp.env["LAUNCHDECK_APPS_DIR"]) / "homes" / "hello" / "envs" / "staging"
    marker, starts = home / "migrated", home / "starts"
    cp.cli("apps", "create", "hello")
    cp.cli("config", "set", f"MARKER={marker}", f"STARTS={starts}", "--app", "hello")

    app = copy_example(tmp_path, "good")
    with_release_command(
        app, "sleep 0.5; echo migrating $LAUNCHDECK_RELEASE; date +%s.%N > $MARKER"
    )
    out = cp.cli("deploy", str(app), "--app", "hello").out

    assert "migrating v1" in out
    migrated_at = float(marker.read_text())
    boots = [float(t) for t in starts.read_text().split()]
    assert len(boots) == 2 and min(boots) > migrated_at  # no v1 instance before the migration
    assert out.index("migrating v1") < out.index("started (web v1")
    before = {i["id"]: i["pid"] for i in cp.cli("ps", "--app", "hello", "--json").json()}

    bad = copy_example(tmp_path, "bad")
    with_release_command(
        bad, "echo 'ERROR: migration 0042 failed: column \"sku\" already exists'; exit 3"
    )
    failed = cp.cli("deploy", str(bad), "--app", "hello", check=False)

    assert failed.code == 1
    assert 'migration 0042 failed: column "sku" already exists' in failed.out
    assert "release command exited with 3" in failed.out + failed.err
    after = {i["id"]: i["pid"] for i in cp.cli("ps", "--app", "hello", "--json").json()}
    assert after == before  # the same instances, the same processes
    status = cp.cli("status", "--app", "hello", "--json").json()
    assert status["release"] == "v1"
    code, body = cp.get("hello")
    assert code == 200 and body["release"] == "v1"
    assert len(starts.read_text().split()) == 2  # no instance of the failed release ever started
