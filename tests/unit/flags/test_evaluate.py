"""One flag's answer, in the documented order: unknown, disabled, allow list, rules, rollout."""

from __future__ import annotations

from typing import Any

import pytest
from launchdeck_openfeature.evaluate import Context, Resolution, bucket, evaluate, evaluate_in
from launchdeck_openfeature.flagset import AllowEntry, Flag, FlagSet
from launchdeck_openfeature.rules import parse_rule

ON = Resolution(True, "on", "STATIC")


def flag(enabled: bool = True, rollout: int = 100, rules: tuple[str, ...] = (),
         allow: tuple[str, ...] = ()) -> Flag:  # fmt: skip
    return Flag(
        enabled,
        rollout,
        tuple(parse_rule(rule) for rule in rules),
        tuple(AllowEntry.parse(entry) for entry in allow),  # type: ignore[misc]
    )


def ctx(key: str | None = "42", **attributes: Any) -> Context:
    return Context(key, attributes)


def test_an_unknown_flag_is_an_error_the_caller_s_default_answers() -> None:
    assert evaluate("nope", None, ctx(), None) == Resolution(
        None, None, "ERROR", "FLAG_NOT_FOUND", "no flag named 'nope' in this environment's flag set"
    )


def test_a_disabled_flag_is_off_whatever_else_it_says() -> None:
    disabled = flag(enabled=False, allow=("user:42",), rollout=100)

    assert evaluate("f", disabled, ctx(), None) == Resolution(False, "off", "DISABLED")


def test_an_allow_entry_turns_it_on_before_rules_and_rollout() -> None:
    allowing = flag(rollout=0, rules=("plan == pro",), allow=("user:42", "email:a@b.c"))

    assert evaluate("f", allowing, ctx("42"), None) == Resolution(True, "on", "TARGETING_MATCH")
    assert evaluate("f", allowing, ctx("7", email="a@b.c"), None).reason == "TARGETING_MATCH"
    assert evaluate("f", allowing, ctx("7", email="x@b.c"), None) == Resolution(
        False, "off", "DEFAULT"
    )
    assert evaluate("f", allowing, ctx(None), None) == Resolution(False, "off", "DEFAULT")


def test_an_allow_entry_compares_the_attribute_s_text() -> None:
    allowing = flag(rollout=0, allow=("tier:3", "beta:true", "targetingKey:9"))

    assert evaluate("f", allowing, ctx("1", tier=3), None).value is True
    assert evaluate("f", allowing, ctx("1", beta=True), None).value is True
    assert evaluate("f", allowing, ctx("9"), None).value is True
    assert evaluate("f", allowing, ctx("1", tier="03"), None).value is False


def test_every_rule_must_match_else_off_by_default() -> None:
    ruled = flag(rules=("plan == pro", "app_version >= 1.4"))

    assert evaluate("f", ruled, ctx(plan="pro", app_version="1.4.2"), None) == Resolution(
        True, "on", "TARGETING_MATCH"
    )
    assert evaluate("f", ruled, ctx(plan="pro", app_version="1.3"), None) == Resolution(
        False, "off", "DEFAULT"
    )
    assert evaluate("f", ruled, ctx(plan="pro"), None) == Resolution(False, "off", "DEFAULT")


def test_a_rule_on_the_targeting_key() -> None:
    ruled = flag(rules=("targeting_key in [1, 2]",))

    assert evaluate("f", ruled, ctx("2"), None).value is True
    assert evaluate("f", ruled, ctx("3"), None).value is False
    assert evaluate("f", flag(rules=("targetingKey != 1",)), ctx(None), None).value is False


def test_a_rule_on_latest_is_off_while_no_app_version_is_known() -> None:
    ruled = flag(rules=("app_version >= latest",))

    assert evaluate("f", ruled, ctx(app_version="1.4.2"), None) == Resolution(
        False, "off", "DEFAULT"
    )
    assert evaluate("f", ruled, ctx(app_version="1.4.2"), "1.4.2").value is True
    assert evaluate("f", ruled, ctx(app_version="1.4.1"), "1.4.2").value is False


def test_a_full_rollout_is_static_without_rules_and_an_empty_one_is_off() -> None:
    assert evaluate("f", flag(rollout=100), ctx(None), None) == ON
    assert evaluate("f", flag(rollout=0), ctx(), None) == Resolution(False, "off", "DEFAULT")


@pytest.mark.parametrize("key", [None, ""])
def test_a_partial_rollout_needs_a_targeting_key(key: str | None) -> None:
    assert evaluate("f", flag(rollout=10), ctx(key), None) == Resolution(
        None, None, "ERROR", "TARGETING_KEY_MISSING",
        "flag 'f' is on for 10% of targeting keys: pass one (a user id) as the evaluation "
        "context's targeting key",
    )  # fmt: skip


def test_a_partial_rollout_is_on_for_keys_whose_bucket_is_within_it() -> None:
    keys = [str(n) for n in range(200)]
    inside = next(k for k in keys if bucket("f", k) <= 30)
    outside = next(k for k in keys if bucket("f", k) > 30)

    assert evaluate("f", flag(rollout=30), ctx(inside), None) == Resolution(True, "on", "SPLIT")
    assert evaluate("f", flag(rollout=30), ctx(outside), None) == Resolution(False, "off", "SPLIT")
    assert evaluate("f", flag(rollout=30, rules=("plan == pro",)), ctx(inside), None).value is False


def test_evaluate_in_reads_the_flag_and_latest_from_a_set() -> None:
    flags = FlagSet(7, "shop", "production", "1.4.2",
                    {"f": flag(rules=("app_version >= latest",))})  # fmt: skip

    assert evaluate_in(flags, "f", ctx(app_version="1.4.2")).value is True
    assert evaluate_in(flags, "g", ctx()).error_code == "FLAG_NOT_FOUND"
