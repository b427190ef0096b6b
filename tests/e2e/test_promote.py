"""`launchdeck promote` as a user types it: staging's exact build reaches production with
production's config; nothing is rebuilt, and an environment with nothing to promote is refused."""

import subprocess

import pytest

from tests.harness import CLI, copy_example

pytestmark = pytest.mark.e2e


def test_promote_ships_stagings_build_with_productions_config(cp, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    cp.cli("config", "set", "GREETING=hi from staging", "--app", "hello")
    saved = cp.cli(
        "config", "set", "GREETING=hi from production", "--app", "hello", "-e", "production"
    )
    assert "applies to the first deploy" in saved.out  # production has no release yet
    _, on_staging = cp.get("hello")

    # without --yes: a preview (key names, never values), then a prompt; "n" changes nothing
    declined = subprocess.run(
        [CLI, "promote", "--app", "hello", "--from", "staging", "--to", "production"],
        env=cp.env,
        input="n\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert declined.returncode == 1 and "promotion cancelled" in declined.stderr
    assert f"Promote hello staging v2 ({on_staging['build'][:19]}) to production" in declined.stdout
    assert "different: GREETING" in declined.stdout and "hi from" not in declined.stdout
    assert cp.cli("releases", "--app", "hello", "-e", "production", "--json").json() == []

    out = cp.cli("promote", "--app", "hello", "--from", "staging", "--to", "production", "--yes")
    assert "deployment succeeded" in out.out and "Python app detected" not in out.out  # no build

    status, on_production = cp.get("hello", env="production")
    assert status == 200 and on_production["build"] == on_staging["build"]
    assert (on_staging["greeting"], on_production["greeting"]) == (
        "hi from staging",
        "hi from production",
    )
    [release] = cp.cli("releases", "--app", "hello", "-e", "production", "--json").json()
    assert release["description"] == f"Promote staging v2 ({on_staging['build'][:19]})"

    cp.cli("apps", "create", "fresh")
    refused = cp.cli(
        "promote", "--app", "fresh", "--from", "staging", "--to", "production", "--yes", check=False
    )
    assert refused.code == 1
    assert "error: fresh/staging has no release to promote (HTTP 409)" in refused.err
    assert "fix: deploy staging first: launchdeck deploy --app fresh --env staging" in refused.err
