"""`launchdeck flags ...`, `launchdeck errors ...` and `launchdeck incidents ...`: the request
each sends (method, path, query, JSON body) and what each prints, against a fake control plane."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from launchdeck.cli.client import Client, CliError, Endpoint
from launchdeck.cli.commands import errors, flags
from launchdeck.cli.main import app

PROD = "/v1/apps/shop/envs/production"
STAGING = "/v1/apps/shop/envs/staging"
WHERE = ("--app", "shop", "--env", "production")
NOW = time.time()


def flag(name: str = "new-checkout", **fields: Any) -> dict[str, Any]:
    return {"name": name, "enabled": False, "rollout": 100, "rules": [], "allow": [],
            "description": "", "summary": "off", "updated_at": NOW - 180,
            "updated_by": "alice", **fields}  # fmt: skip


ROLLED = flag("x", enabled=True, rollout=10, rules=["a == 1", "b != 2"],
              summary="on: 10% where a == 1 and b != 2")  # fmt: skip
GROUP = {
    "key": "0123456789abcdef0123456789abcdef", "title": "KeyError: 'cart'",
    "culprit": "shop.views in checkout", "level": "error", "status": "unresolved",
    "priority": "P0", "reason": "new in release v5 (3.0% of requests, P0 above 1%)",
    "count": 120, "events": 42, "users": 7, "first_seen": NOW - 7200, "last_seen": NOW - 60,
    "first_release": "v5", "last_release": "v5", "regressed": False,
    "sample": {"message": "", "exception": ["KeyError", "'cart'"],
               "frames": ["shop.app in dispatch", "shop.views in checkout"],
               "path": "/checkout", "event_id": "f" * 32},
}  # fmt: skip
LISTING = {"dsn": "http://k3y@127.0.0.1:7070/4", "since": 7200.0, "groups": [GROUP]}
INCIDENT = {"id": 3, "key": GROUP["key"], "title": GROUP["title"], "priority": "P1",
            "reason": "a regression: resolved in v4, seen again in v5", "release": "v5",
            "opened_at": NOW - 600, "resolved_at": None}  # fmt: skip


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeApi:
    """Answers like the control plane (None: 204, no body) and remembers each request."""

    answers: dict[tuple[str, str], Any] = field(default_factory=dict)
    seen: list[Sent] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.seen.append(Sent(request.method, request.url.path, dict(request.url.params), body))
        answer = self.answers[(request.method, request.url.path)]
        return httpx.Response(204) if answer is None else httpx.Response(200, json=answer)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    fake = FakeApi()
    transport = httpx.MockTransport(fake)
    endpoint = Endpoint("http://127.0.0.1:7070", "t")
    for module in (flags, errors):
        monkeypatch.setattr(module, "client", lambda: Client(endpoint, transport=transport))
    monkeypatch.setenv("COLUMNS", "200")
    return fake


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=stdin)


# -- flags -----------------------------------------------------------------------------------


def test_create_sends_the_name_and_description_and_says_it_ships_dark(api: FakeApi) -> None:
    api.answers[("POST", f"{PROD}/flags")] = flag()

    result = run("flags", "create", "new-checkout", "--description", "the new flow", *WHERE)

    assert result.exit_code == 0, result.output
    assert api.seen == [
        Sent("POST", f"{PROD}/flags", {}, {"name": "new-checkout", "description": "the new flow"})
    ]
    assert result.output == (
        "-----> new-checkout created in shop/production: off (ships dark; turn it on with: "
        "launchdeck flags set new-checkout --rollout 10% --on)\n"
    )


def test_set_sends_only_the_fields_given_the_rollout_as_typed(api: FakeApi) -> None:
    api.answers[("PATCH", f"{PROD}/flags/x")] = ROLLED

    result = run("flags", "set", "x", "--rollout", "10%", "--rule", "a == 1", "--rule", "b != 2",
                 *WHERE)  # fmt: skip

    assert result.exit_code == 0, result.output
    assert api.seen == [
        Sent("PATCH", f"{PROD}/flags/x", {}, {"rollout": "10%", "rules": ["a == 1", "b != 2"]})
    ]
    assert result.output == "-----> x in shop/production: on: 10% where a == 1 and b != 2\n"


def test_set_clear_rules_sends_an_empty_list_and_the_rest_as_given(api: FakeApi) -> None:
    api.answers[("PATCH", f"{STAGING}/flags/x")] = flag("x")

    result = run("flags", "set", "x", "--clear-rules", "--off", "--allow", "user:42",
                 "--allow", "plan:pro", "--disallow", "user:7", "--description", "", "-a", "shop")  # fmt: skip

    assert result.exit_code == 0, result.output
    [sent] = api.seen
    assert sent.body == {"rules": [], "enabled": False, "allow": ["user:42", "plan:pro"],
                         "disallow": ["user:7"], "description": ""}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "nothing to change: give --rollout, --rule, --clear-rules, --allow, --disallow, --on/--off or --description"),
        (["--rule", "a == 1", "--clear-rules"], "--rule and --clear-rules contradict each other: give one"),
    ],
    ids=["nothing", "rule-and-clear"],
)  # fmt: skip
def test_set_refuses_as_a_usage_error_before_calling_the_api(
    api: FakeApi, args: list[str], message: str
) -> None:
    result = run("flags", "set", "x", *args, *WHERE)

    assert result.exit_code == 2
    assert message in result.output
    assert api.seen == []


def test_on_and_off_flip_the_kill_switch_and_off_says_no_deploy(api: FakeApi) -> None:
    api.answers[("PATCH", f"{PROD}/flags/x")] = flag("x")

    on = run("flags", "on", "x", *WHERE)
    off = run("flags", "off", "x", *WHERE)

    assert (on.exit_code, off.exit_code) == (0, 0), on.output + off.output
    assert [s.body for s in api.seen] == [{"enabled": True}, {"enabled": False}]
    assert off.output.splitlines() == [
        "-----> x in shop/production: off",
        "       running apps stop serving it within 2 s; no deploy",
    ]


def test_list_shows_state_and_who_changed_it_then_the_set_s_version(api: FakeApi) -> None:
    listing = {"flags": [ROLLED, flag("plans", enabled=True, rules=["plan in [pro, team]"],
                                      summary="on: 100% where plan in [pro, team]")],
               "version": 12, "latest_app_version": None}  # fmt: skip
    api.answers[("GET", f"{PROD}/flags")] = listing

    shown = run("flags", "list", *WHERE)
    as_json = run("flags", "list", "--json", *WHERE)

    assert shown.exit_code == 0, shown.output
    lines = [" ".join(line.split()) for line in shown.output.splitlines()]
    assert lines == [
        "NAME STATE UPDATED",
        "x on: 10% where a == 1 and b != 2 by alice, 3m ago",
        "plans on: 100% where plan in [pro, team] by alice, 3m ago",
        "flag set version 12; latest app version: none reported yet",
    ]
    assert json.loads(as_json.output) == listing


def test_show_prints_every_field_and_json_as_is(api: FakeApi) -> None:
    shown_flag = {**ROLLED, "allow": ["user:42"], "description": "the new flow"}
    api.answers[("GET", f"{PROD}/flags/x")] = shown_flag

    shown = run("flags", "show", "x", *WHERE)
    as_json = run("flags", "show", "x", "--json", *WHERE)

    assert shown.output.splitlines() == [
        "x in shop/production: on: 10% where a == 1 and b != 2",
        "  description: the new flow",
        "  enabled: yes",
        "  rollout: 10%",
        "  rules: a == 1 and b != 2",
        "  allow: user:42",
        "  updated: by alice, 3m ago",
    ]
    assert json.loads(as_json.output) == shown_flag


def test_delete_asks_first_and_takes_the_api_s_empty_answer(api: FakeApi) -> None:
    api.answers[("DELETE", f"{PROD}/flags/x")] = None

    declined = run("flags", "delete", "x", *WHERE, stdin="n\n")
    assert isinstance(declined.exception, CliError)
    assert declined.exception.message == "delete cancelled"
    assert api.seen == []

    deleted = run("flags", "delete", "x", "--yes", *WHERE)
    assert deleted.exit_code == 0, deleted.output
    assert api.seen == [Sent("DELETE", f"{PROD}/flags/x", {}, None)]
    assert deleted.output == "-----> x deleted from shop/production\n"


def test_promote_copies_the_named_flags_and_prints_each(api: FakeApi) -> None:
    api.answers[("POST", f"{PROD}/flags/promotions")] = [ROLLED]

    result = run("flags", "promote", "x", "--from", "staging", "--to", "production", "--yes",
                 "--app", "shop")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert api.seen == [
        Sent("POST", f"{PROD}/flags/promotions", {}, {"from": "staging", "names": ["x"]})
    ]
    assert result.output.splitlines() == [
        "-----> copied 1 flag(s) to shop/production:",
        "       x: on: 10% where a == 1 and b != 2",
    ]


def test_promote_without_yes_previews_each_flag_on_both_sides_then_asks(api: FakeApi) -> None:
    api.answers[("GET", f"{STAGING}/flags")] = {"flags": [ROLLED, flag("y")], "version": 3,
                                                "latest_app_version": "v5"}  # fmt: skip
    api.answers[("GET", f"{PROD}/flags")] = {"flags": [flag("x")], "version": 1,
                                             "latest_app_version": "v4"}  # fmt: skip
    api.answers[("POST", f"{PROD}/flags/promotions")] = [ROLLED, flag("y")]

    result = run("flags", "promote", "--app", "shop", stdin="y\n")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == [
        "Copy from shop/staging to shop/production:",
        "  x: on: 10% where a == 1 and b != 2 (now: off)",
        "  y: off (now: new)",
    ]
    assert api.seen[-1] == Sent("POST", f"{PROD}/flags/promotions", {},
                                {"from": "staging", "names": []})  # fmt: skip


# -- errors and incidents --------------------------------------------------------------------


def test_errors_lists_the_top_groups_of_the_window_asked(api: FakeApi) -> None:
    api.answers[("GET", f"{PROD}/errors")] = LISTING

    result = run("errors", "--since", "2h", *WHERE)

    assert result.exit_code == 0, result.output
    assert api.seen == [
        Sent("GET", f"{PROD}/errors", {"since": "7200", "limit": "5", "everything": "false"}, None)
    ]
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert lines == [
        "Top 1 error groups of shop/production in the last 2h",
        "KEY PRIORITY EVENTS USERS FIRST SEEN IN LAST SEEN TITLE",
        "01234567 P0 42 7 v5 1m ago KeyError: 'cart' shop.views in checkout",
        "resolve: launchdeck errors resolve KEY --app shop --env production",
    ]


def test_errors_defaults_to_a_day_and_json_prints_the_api_s_answer(api: FakeApi) -> None:
    api.answers[("GET", f"{STAGING}/errors")] = LISTING

    result = run("errors", "--app", "shop", "--all", "--limit", "20", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == LISTING
    assert api.seen[0].query == {"since": "86400", "limit": "20", "everything": "true"}


def test_errors_refuses_a_since_that_is_not_a_duration(api: FakeApi) -> None:
    result = run("errors", "--since", "yesterday", *WHERE)

    assert isinstance(result.exception, CliError)
    assert result.exception.message == "--since 'yesterday' is not a duration"
    assert api.seen == []


def test_errors_options_before_a_subcommand_are_refused_not_dropped(api: FakeApi) -> None:
    result = run("errors", "--env", "production", "resolve", "0123")

    assert result.exit_code == 2
    assert "--env given before 'resolve': put them after it" in result.output
    assert api.seen == []


def test_errors_show_prints_the_triage_and_the_last_event(api: FakeApi) -> None:
    api.answers[("GET", f"{PROD}/errors/0123")] = GROUP

    result = run("errors", "show", "0123", *WHERE)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "KeyError: 'cart'",
        "  in shop.views in checkout",
        "priority: P0 - new in release v5 (3.0% of requests, P0 above 1%)",
        "status: unresolved",
        "key: 0123456789abcdef0123456789abcdef",
        "events: 42 in the last 24h (7 users), 120 in all",
        "first seen: 2h ago in v5",
        "last seen: 1m ago in v5",
        "last event:",
        "  exception: KeyError: 'cart'",
        "  path: /checkout",
        "  frames (most recent call last):",
        "    shop.app in dispatch",
        "    shop.views in checkout",
    ]


@pytest.mark.parametrize(
    ("action", "done"), [("resolve", "resolved"), ("ignore", "ignored"), ("reopen", "reopened")]
)
def test_errors_status_changes_post_the_action(api: FakeApi, action: str, done: str) -> None:
    api.answers[("POST", f"{PROD}/errors/0123/{action}")] = GROUP

    result = run("errors", action, "0123", *WHERE)

    assert result.exit_code == 0, result.output
    assert api.seen == [Sent("POST", f"{PROD}/errors/0123/{action}", {}, None)]
    assert result.output == f"-----> 01234567 {done}: KeyError: 'cart'\n"


def test_errors_dsn_prints_the_environment_s_sentry_dsn_alone(api: FakeApi) -> None:
    api.answers[("GET", f"{PROD}/errors")] = LISTING

    result = run("errors", "dsn", *WHERE)

    assert result.output == "http://k3y@127.0.0.1:7070/4\n"
    assert api.seen[0].query == {"limit": "1"}


def test_incidents_lists_the_open_ones_and_resolves_one(api: FakeApi) -> None:
    api.answers[("GET", f"{PROD}/incidents")] = [INCIDENT]
    api.answers[("POST", f"{PROD}/incidents/3/resolve")] = {"id": 3, "resolved": True}

    listed = run("incidents", *WHERE)
    as_json = run("incidents", "--all", "--json", *WHERE)
    resolved = run("incidents", "resolve", "3", *WHERE)

    assert listed.exit_code == 0, listed.output
    assert [" ".join(line.split()) for line in listed.output.splitlines()] == [
        "ID PRIORITY OPENED RELEASE TITLE REASON",
        "3 P1 10m ago v5 KeyError: 'cart' a regression: resolved in v4, seen again in v5",
    ]
    assert json.loads(as_json.output) == [INCIDENT]
    assert resolved.output == "-----> incident #3 resolved\n"
    assert [(s.method, s.path, s.query) for s in api.seen] == [
        ("GET", f"{PROD}/incidents", {"everything": "false"}),
        ("GET", f"{PROD}/incidents", {"everything": "true"}),
        ("POST", f"{PROD}/incidents/3/resolve", {}),
    ]
