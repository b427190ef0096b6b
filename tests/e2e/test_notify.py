"""Deploy notifications as a team sees them: Slack-compatible JSON reaches a local webhook for
the start and the end of a deployment (an automatic rollback included), while a webhook that
answers 500 and one that never answers neither slow nor fail the deploy."""

import json

import pytest

from tests.harness import copy_example

pytestmark = pytest.mark.e2e


def test_notifications_reach_the_webhooks_and_never_hold_up_a_deploy(cp, tmp_path, hooks):
    app = copy_example(tmp_path)
    manifest = app / "launchdeck.toml"
    manifest.write_text(
        manifest.read_text()
        + f'\n[notify]\nwebhooks = ["{hooks.url}/ok", "{hooks.url}/fail", "$HANG_HOOK"]\n'
    )
    cp.cli("apps", "create", "hello")
    cp.cli("config", "set", "--secret", f"HANG_HOOK={hooks.url}/hang", "--app", "hello")

    deployed = cp.cli("deploy", str(app), "--app", "hello")

    assert "deployment succeeded" in deployed.out
    assert hooks.wait_for("/hang", 1) and not hooks.release.is_set()  # still hanging
    assert hooks.wait_for("/ok", 2) == [
        ":rocket: hello/staging: deploy started",
        ":white_check_mark: hello/staging v1: deploy succeeded",
    ]
    succeeded = hooks.received["/ok"][1]
    assert succeeded["blocks"][0] == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "*:white_check_mark: hello/staging v1: deploy succeeded*",
        },
    }
    assert succeeded["blocks"][-1]["type"] == "context"
    started = hooks.texts("/ok")[0]
    assert hooks.wait_for("/fail", 2)[:2] == [started, started]  # retried after the 500

    # a config change that makes the new instances crash: rolled back, and the team is told why
    bad = cp.cli("config", "set", "CRASH_AT_START=1", "--app", "hello", check=False)
    assert bad.code == 1 and "rolled back" in bad.out
    texts = hooks.wait_for("/ok", 4)
    assert texts[2:] == [
        ":rocket: hello/staging: config started",
        ":rewind: hello/staging v2: config rolled back",
    ]
    assert "CRASH_AT_START" in json.dumps(hooks.received["/ok"][3]["blocks"])
    status, body = cp.get("hello")
    assert status == 200 and body["release"] == "v1"
