"""Error triage: real sentry-sdk events grouped as Sentry groups them (exceptions and frames,
never line numbers; fingerprints; message templates), then each priority with its reason."""

from __future__ import annotations

from typing import Any

import pytest
import sentry_sdk

from launchdeck.domain.errortracking import GroupingBasis, GroupStats, Priority, TriageRules
from launchdeck.planning.triage import group_of, normalize_message, priority_of
from tests.sentry_events import (
    BILLING,
    billing,
    countdown,
    event,
    logged,
    parse_port,
    place_order,
    reported,
    submit,
)

EMPTY_ORDER = {"amount": 10, "quantity": 0}
EMPTY_CART = {"total": 10, "items": 0}


def key(payload: dict[str, Any]) -> str:
    return group_of(payload).key


def linenos(payload: dict[str, Any]) -> list[int]:
    frames = payload["exception"]["values"][-1]["stacktrace"]["frames"]
    return [frame["lineno"] for frame in frames]


def test_two_different_exceptions_are_two_groups() -> None:
    division = event(reported(place_order, EMPTY_ORDER))
    port = event(reported(parse_port, "eighty"))

    assert key(division) != key(port)
    assert group_of(division).title == "ZeroDivisionError: division by zero"
    assert group_of(port).title == "ValueError: invalid literal for int() with base 10: 'eighty'"
    assert group_of(division).culprit == "tests.sentry_events in unit_price"
    assert group_of(division).basis == GroupingBasis.EXCEPTION


def test_the_same_error_again_is_the_same_group() -> None:
    assert key(event(reported(place_order, EMPTY_ORDER))) == key(
        event(reported(place_order, {"amount": 99, "quantity": 0}))
    )


def test_the_same_error_from_a_release_with_shifted_lines_is_one_group() -> None:
    before = event(reported(billing(0), EMPTY_CART))
    after = event(reported(billing(12), EMPTY_CART))

    assert linenos(before)[1:] != linenos(after)[1:]  # the app's frames moved down 12 lines
    assert key(before) == key(after)
    assert group_of(after).culprit == "shop.billing in apply_discount"


def test_the_same_exception_from_another_function_is_another_group() -> None:
    renamed = BILLING.replace("apply_discount", "apply_coupon")

    assert key(event(reported(billing(), EMPTY_CART))) != key(
        event(reported(billing(source=renamed), EMPTY_CART))
    )


def test_each_exception_of_a_chain_counts() -> None:
    from_division = event(reported(submit, place_order, EMPTY_ORDER))
    from_parsing = event(reported(submit, parse_port, "eighty"))

    assert [v["type"] for v in from_division["exception"]["values"]] == [
        "ZeroDivisionError",
        "RuntimeError",
    ]
    assert key(from_division) != key(from_parsing)
    assert group_of(from_division).title == "RuntimeError: submit failed"
    assert group_of(from_division).culprit == "tests.sentry_events in submit"


def test_recursion_depth_does_not_split_a_group() -> None:
    assert key(event(reported(countdown, 2))) == key(event(reported(countdown, 9)))


def test_a_fingerprint_replaces_the_default_grouping() -> None:
    division = event(reported(place_order, EMPTY_ORDER, fingerprint=["payments-down"]))
    port = event(reported(parse_port, "x", fingerprint=["payments-down"]))

    assert division["fingerprint"] == ["payments-down"]
    assert key(division) == key(port)
    assert group_of(division).basis == GroupingBasis.FINGERPRINT
    assert group_of(division).title == "ZeroDivisionError: division by zero"


def test_default_in_a_fingerprint_stands_for_the_default_grouping() -> None:
    plain = event(reported(place_order, EMPTY_ORDER))
    default = event(reported(place_order, EMPTY_ORDER, fingerprint=["{{ default }}"]))
    eu = event(reported(place_order, EMPTY_ORDER, fingerprint=["{{ default }}", "eu-west-1"]))
    us = event(reported(place_order, EMPTY_ORDER, fingerprint=["{{default}}", "us-east-1"]))
    eu_port = event(reported(parse_port, "x", fingerprint=["{{ default }}", "eu-west-1"]))

    assert key(default) == key(plain)
    assert group_of(default).basis == GroupingBasis.EXCEPTION
    assert len({key(plain), key(eu), key(us), key(eu_port)}) == 4


def test_logged_errors_group_by_their_template_not_their_arguments() -> None:
    first = event(logged("order %s failed after %d retries", "A-17", 3))
    second = event(logged("order %s failed after %d retries", "B-99", 5))
    other = event(logged("order %s was refunded", "A-17"))

    assert first["logentry"]["message"] == "order %s failed after %d retries"
    assert key(first) == key(second) != key(other)
    assert group_of(first).basis == GroupingBasis.MESSAGE
    assert group_of(first).title == "order A-17 failed after 3 retries"
    assert group_of(first).culprit == ""


def test_messages_without_a_template_group_with_their_numbers_and_ids_replaced() -> None:
    def message(text: str) -> dict[str, Any]:
        return event(lambda: sentry_sdk.capture_message(text))

    disk = message("disk 93.5% full on 10.0.0.4 (volume 0x1f3a)")
    disk_again = message("disk 97% full on 10.0.0.9 (volume 0xbeef)")
    job = message("job 0b6e1a3c-2f4d-4b8e-9a1c-5d7e8f9a0b1c took 1200ms")
    job_again = message("job 7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f took 87ms")

    assert key(disk) == key(disk_again) != key(job)
    assert key(job) == key(job_again)
    assert group_of(disk).title == "disk 93.5% full on 10.0.0.4 (volume 0x1f3a)"


@pytest.mark.parametrize(
    ("message", "normalized"),
    [
        ("user 42 not found", "user <num> not found"),
        ("took 3.5s, then 120ms", "took <num>s, then <num>ms"),
        ("commit 3f9a1c2b7e not found", "commit <hex> not found"),
        ("mail ada@example.com bounced", "mail <email> bounced"),
        ("v2 of user42 from 192.168.1.10", "v2 of user42 from <ip>"),
        ("id 550e8400-e29b-41d4-a716-446655440000", "id <uuid>"),
    ],
)
def test_message_normalization(message: str, normalized: str) -> None:
    assert normalize_message(message) == normalized


def frame(function: str, *, in_app: bool | None, **fields: Any) -> dict[str, Any]:
    return {"function": function, "in_app": in_app, **fields}


def exception(*frames: dict[str, Any], kind: str = "TypeError") -> dict[str, Any]:
    return {
        "exception": {
            "values": [{"type": kind, "value": "x", "stacktrace": {"frames": list(frames)}}]
        }
    }


def test_library_frames_do_not_count_once_any_frame_is_the_apps() -> None:
    app = frame("pay", in_app=True, module="shop.pay", lineno=3)

    assert key(exception(frame("a", in_app=False, module="lib"), app)) == key(
        exception(frame("b", in_app=False, module="lib2"), frame("c", in_app=False), app)
    )


def test_without_app_frames_every_frame_counts() -> None:
    assert key(exception(frame("a", in_app=None, module="lib"))) != key(
        exception(frame("b", in_app=None, module="lib"))
    )


def test_a_frame_without_a_module_is_known_by_its_file_name_without_directory_or_line() -> None:
    served = exception(frame("pay", in_app=True, filename="https://cdn.example/static/app.js?v=9"))
    built = exception(frame("pay", in_app=True, filename="/srv/app/static/app.js:10:4"))

    assert key(served) == key(built)
    assert group_of(built).culprit == "app.js in pay"


def test_an_exception_without_frames_groups_by_its_normalized_value() -> None:
    def bare(value: str) -> dict[str, Any]:
        return {"exception": [{"type": "ValueError", "value": value}]}

    assert key(bare("bad id 42")) == key(bare("bad id 43")) != key(bare("bad name"))
    assert group_of(bare("")).title == "ValueError"


def test_the_key_is_stable_across_versions_of_launchdeck() -> None:
    # stored groups are found again by this key: changing how it is made splits every group
    payload = exception(frame("pay", in_app=True, module="shop.pay"))
    assert (
        group_of(payload).key == "41cbdfa1315e42c9"
    )  # sha256 of ["exception",[["TypeError",[["shop.pay","pay"]]]]]


def test_payloads_of_odd_types_are_grouped_not_raised_on() -> None:
    odd: dict[str, Any] = {
        "exception": {"values": [None, {"type": 3, "stacktrace": {"frames": [1, {"module": []}]}}]},
        "fingerprint": "not a list",
    }
    grouping = group_of(odd)
    assert (grouping.title, grouping.culprit) == ("Error", "? in ?")
    assert group_of({}).title == "<unlabeled event>"
    assert group_of({"message": "a\nb" * 300}).title == "a"


# priority

RULES = TriageRules(critical_paths=("/checkout*", "/api/v?.pay"))


def stats(**changes: Any) -> GroupStats:
    fields: dict[str, Any] = {
        "first_release": "v6",
        "current_release": "v7",
        "is_regression": False,
        "events_last_hour": 12,
        "events_in_window": 12,
        "requests_in_window": 10_000,
        "paths": ("/orders",),
    } | changes
    return GroupStats(**fields)


def test_a_new_error_in_more_than_one_percent_of_requests_is_p0() -> None:
    assert priority_of(
        stats(first_release="v7", events_in_window=32, requests_in_window=1000), RULES
    ) == (
        Priority.P0,
        "new in release v7 and in 3.2% of requests in the window (32 events, 1000 requests): "
        "more than 1%",
    )


def test_a_new_error_in_few_requests_or_none_is_not_p0_by_share() -> None:
    assert priority_of(stats(first_release="v7", events_in_window=10), RULES) == (
        Priority.P2,
        "new in release v7 (in 0.1% of requests in the window, P0 above 1%); 12 events in the "
        "last hour (P1 above 100); no critical path; not a regression",
    )
    assert priority_of(stats(first_release="v7", requests_in_window=0), RULES)[0] == Priority.P2
    assert priority_of(stats(events_in_window=5000), RULES)[0] == Priority.P2  # not new


def test_an_error_on_a_critical_path_is_p0() -> None:
    assert priority_of(stats(paths=("/orders", "/checkout/pay")), RULES) == (
        Priority.P0,
        "seen on /checkout/pay, a critical path (/checkout*)",
    )
    assert priority_of(stats(paths=("/api/checkout", "/api/v1xpay")), RULES)[0] == Priority.P2


def test_a_regression_is_p1() -> None:
    assert priority_of(stats(is_regression=True, resolved_release="v5"), RULES) == (
        Priority.P1,
        "a regression: resolved in release v5, seen again in release v7",
    )
    assert priority_of(stats(is_regression=True), RULES)[1] == (
        "a regression: resolved, seen again in release v7"
    )
    assert priority_of(stats(is_regression=True, current_release=None), RULES)[1] == (
        "a regression: resolved, seen again"
    )


def test_more_than_the_hourly_events_is_p1() -> None:
    assert priority_of(stats(events_last_hour=101), RULES) == (
        Priority.P1,
        "101 events in the last hour: more than 100",
    )
    assert priority_of(stats(events_last_hour=100), RULES)[0] == Priority.P2


def test_everything_else_is_p2_with_the_figures_that_kept_it_there() -> None:
    assert priority_of(stats(), TriageRules()) == (
        Priority.P2,
        "first seen in release v6, not new; 12 events in the last hour (P1 above 100); "
        "no critical path; not a regression",
    )
    assert priority_of(stats(first_release=None, current_release=None), TriageRules())[1] == (
        "first seen without a release, so not new in one; 12 events in the last hour "
        "(P1 above 100); no critical path; not a regression"
    )
