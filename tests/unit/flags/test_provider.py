"""The provider through OpenFeature's client API, against the flag endpoints on a real socket:
changes arrive by long poll, the last set outlives the server, a cache file outlives a restart,
app versions are reported once each, and shutdown ends the threads at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from launchdeck_openfeature import LaunchdeckProvider
from launchdeck_openfeature.sync import Backoff
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEvent
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from tests.unit.flags.flag_server import TOKEN, FlagServerFake, eventually
from tests.unit.flags.flag_server import flag_server as flag_server

USER = EvaluationContext(targeting_key="42", attributes={"app_version": "1.4.2"})
PLAIN = EvaluationContext(targeting_key="42")  # no app version: none reported, none bumped


@pytest.fixture(autouse=True)
def openfeature() -> Iterator[None]:
    yield
    api.shutdown()  # shuts the provider down, and resets OpenFeature's globals


def provider_for(server: FlagServerFake, **options: object) -> LaunchdeckProvider:
    environ = {"LAUNCHDECK_FLAGS_URL": server.url, "LAUNCHDECK_FLAGS_TOKEN": TOKEN}
    options = {"wait": 30, **options}
    provider = LaunchdeckProvider(environ=environ, **options)  # type: ignore[arg-type]
    api.set_provider_and_wait(provider)
    return provider


def value(flag: str = "new-checkout", context: EvaluationContext = USER) -> bool:
    return api.get_client().get_boolean_value(flag, False, context)


def flag_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("launchdeck-flags-")]


def test_a_change_reaches_the_client_by_long_poll(flag_server: FlagServerFake) -> None:
    flag_server.publish(**{"new-checkout": {"enabled": False}})
    provider_for(flag_server)
    changed: list[list[str] | None] = []
    api.get_client().add_handler(
        ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, lambda d: changed.append(d.flags_changed)
    )
    assert api.get_client().get_boolean_details("new-checkout", True, PLAIN).reason == "DISABLED"
    eventually(lambda: flag_server.holding == 1, "the provider's long poll held")

    flag_server.publish(**{"new-checkout": {"enabled": True, "rollout": 100}})

    eventually(lambda: value(context=PLAIN), "the change reached the client")
    details = api.get_client().get_boolean_details("new-checkout", False, PLAIN)
    assert (details.value, details.variant, details.reason) == (True, "on", Reason.STATIC)
    assert details.flag_metadata == {"flag_set_version": flag_server.version}
    eventually(lambda: changed == [["new-checkout"]], "OpenFeature's handlers were told")
    polls = [seen for seen in flag_server.seen if seen.method == "GET"]
    assert [(p.wait, p.if_none_match) for p in polls[:2]] == [("0", None), ("30", '"2"')]
    assert {p.authorization for p in polls} == {f"Bearer {TOKEN}"}


def test_stopping_the_server_leaves_the_client_on_its_last_set(
    flag_server: FlagServerFake, caplog: pytest.LogCaptureFixture
) -> None:
    flag_server.publish(**{"new-checkout": {"enabled": True, "allow": ["user:42"], "rollout": 0}})
    provider_for(flag_server)
    assert value()

    flag_server.stop()

    eventually(lambda: any("cannot reach" in m for m in caplog.messages), "the poll failed")
    assert value()
    assert not value(context=EvaluationContext(targeting_key="7"))


def test_a_restart_with_a_cache_file_and_no_server_still_evaluates(
    flag_server: FlagServerFake, tmp_path: Path
) -> None:
    cache = tmp_path / "flags.json"
    flag_server.publish(**{"new-checkout": {"enabled": True}})
    provider_for(flag_server, cache_path=cache)
    api.shutdown()
    flag_server.stop()

    environ = {"LAUNCHDECK_FLAGS_URL": flag_server.url, "LAUNCHDECK_FLAGS_CACHE": str(cache)}
    api.set_provider_and_wait(LaunchdeckProvider(environ=environ))

    details = api.get_client().get_boolean_details("new-checkout", False, USER)
    assert (details.value, details.reason) == (True, Reason.STATIC)


def test_no_server_and_no_cache_answers_the_caller_s_defaults(flag_server: FlagServerFake) -> None:
    flag_server.stop()
    api.set_provider_and_wait(LaunchdeckProvider(flag_server.url, TOKEN))

    details = api.get_client().get_boolean_details("new-checkout", True, USER)

    assert (details.value, details.reason, details.error_code) == (
        True, Reason.ERROR, ErrorCode.FLAG_NOT_FOUND,
    )  # fmt: skip


def test_app_versions_are_reported_once_per_newer_version(flag_server: FlagServerFake) -> None:
    flag_server.publish(**{"new-checkout": {"enabled": True, "rules": ["app_version >= latest"]}})
    provider_for(flag_server)

    for version in ["1.4.2", "1.4.2", "1.4.2"]:
        value(context=EvaluationContext("42", {"app_version": version}))
    eventually(lambda: flag_server.reports == ["1.4.2"], "1.4.2 reported")
    eventually(
        lambda: value(context=EvaluationContext("1", {"app_version": "1.4.2"})), "latest 1.4.2"
    )
    for version in ["1.4.0", "1.5.0", "1.4.2", "1.5.0"]:
        value(context=EvaluationContext("42", {"app_version": version}))
    eventually(lambda: flag_server.reports == ["1.4.2", "1.5.0"], "1.5.0 reported")
    value(context=EvaluationContext("42", {"app_version": "1.6.0"}))

    eventually(lambda: flag_server.reports == ["1.4.2", "1.5.0", "1.6.0"], "1.6.0 reported")
    eventually(lambda: not value(context=USER), "1.4.2 is no longer the latest")
    assert [seen.path for seen in flag_server.seen if seen.method == "POST"] == [
        "/flags/shop/production/app-versions"
    ] * 3


def test_shutdown_ends_the_threads_while_a_long_poll_is_held(flag_server: FlagServerFake) -> None:
    provider_for(flag_server)
    eventually(lambda: flag_server.holding == 1, "the provider's long poll held")
    assert sorted(flag_threads()) == ["launchdeck-flags-poll", "launchdeck-flags-report"]

    api.shutdown()

    assert flag_threads() == []
    assert flag_server.holding == 1  # the server still holds it: the client did not wait for it


def test_a_bad_token_keeps_the_set_and_is_logged_once(
    flag_server: FlagServerFake, caplog: pytest.LogCaptureFixture
) -> None:
    flag_server.publish(**{"new-checkout": {"enabled": True}})
    provider_for(flag_server, wait=0.05, backoff=Backoff(first=0.01, cap=0.01))
    flag_server.token = "rotated"
    before = len(flag_server.seen)
    eventually(lambda: len(flag_server.seen) > before + 1, "a poll refused")

    flag_server.publish(**{"new-checkout": {"enabled": False}})
    eventually(lambda: len(flag_server.seen) > before + 6, "several polls refused")

    assert value()
    assert [m for m in caplog.messages if "refused the token" in m] == [
        f"launchdeck flags: {flag_server.url}?wait=0.05 refused the token (HTTP 401) to read the "
        "flag set: check LAUNCHDECK_FLAGS_TOKEN (launchdeck sets it in each instance); keeping "
        "the flags it has and retrying"
    ]


def test_a_boolean_flag_read_as_another_type_is_a_type_mismatch(
    flag_server: FlagServerFake,
) -> None:
    flag_server.publish(**{"new-checkout": {"enabled": True}})
    provider_for(flag_server)
    client = api.get_client()

    as_string = client.get_string_details("new-checkout", "x", USER)
    unknown = client.get_integer_details("nope", 3, USER)

    assert (as_string.value, as_string.error_code) == ("x", ErrorCode.TYPE_MISMATCH)
    assert as_string.error_message == (
        "flag 'new-checkout' is boolean: read it with get_boolean_value (or get_boolean_details), "
        "not as a string"
    )
    assert (unknown.value, unknown.error_code) == (3, ErrorCode.FLAG_NOT_FOUND)


def test_a_rollout_without_a_targeting_key_answers_the_default(flag_server: FlagServerFake) -> None:
    flag_server.publish(**{"new-checkout": {"enabled": True, "rollout": 50}})
    provider_for(flag_server)

    details = api.get_client().get_boolean_details("new-checkout", True, EvaluationContext())

    assert (details.value, details.reason, details.error_code) == (
        True, Reason.ERROR, ErrorCode.TARGETING_KEY_MISSING,
    )  # fmt: skip
