"""The wire format read into frozen data: defaults, and the exact error for each malformed field."""

from __future__ import annotations

from typing import Any

import pytest
from launchdeck_openfeature.errors import FlagSetError
from launchdeck_openfeature.flagset import AllowEntry, Flag, FlagSet, changed_flags
from launchdeck_openfeature.rules import parse_rule

WIRE: dict[str, Any] = {
    "version": 7, "app": "shop", "env": "production", "latest_app_version": "1.4.2",
    "flags": {"new-checkout": {"enabled": True, "rollout": 10, "rules": ["app_version >= latest"],
                               "allow": ["user:42", "email:a@b.c"]}},
}  # fmt: skip


def test_the_wire_format_reads_into_a_flag_set() -> None:
    flags = FlagSet.from_json(WIRE)

    assert (flags.version, flags.app, flags.env, flags.latest_app_version) == (
        7, "shop", "production", "1.4.2",
    )  # fmt: skip
    assert flags.flags["new-checkout"] == Flag(
        enabled=True,
        rollout=10,
        rules=(parse_rule("app_version >= latest"),),
        allow=(AllowEntry("user", "42"), AllowEntry("email", "a@b.c")),
    )
    assert FlagSet.from_json(flags.to_json()) == flags


def test_a_flag_needs_only_enabled_and_unknown_keys_are_ignored() -> None:
    flags = FlagSet.from_json({**WIRE, "latest_app_version": None, "etc": 1,
                               "flags": {"f": {"enabled": False, "owner": "team-a"}}})  # fmt: skip

    assert flags.latest_app_version is None
    assert flags.flags["f"] == Flag(enabled=False, rollout=100, rules=(), allow=())


def flag(**fields: Any) -> dict[str, Any]:
    return {**WIRE, "flags": {"f": {"enabled": True, **fields}}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "flag set: should be a JSON object (got list)"),
        ({**WIRE, "version": "7"}, "version: should be a non-negative integer (got '7')"),
        ({**WIRE, "version": True}, "version: should be a non-negative integer (got True)"),
        ({k: v for k, v in WIRE.items() if k != "app"}, "app: missing"),
        ({**WIRE, "env": 3}, "env: should be a string (got 3)"),
        ({**WIRE, "latest_app_version": 1.4}, "latest_app_version: should be a string or null (got 1.4)"),
        ({**WIRE, "flags": []}, "flags: should be an object of flags by name (got [])"),
        ({**WIRE, "flags": {"f": True}}, "flags.f: should be a JSON object (got bool)"),
        ({**WIRE, "flags": {"f": {}}}, "flags.f.enabled: missing"),
        (flag(enabled="yes"), "flags.f.enabled: should be true or false (got 'yes')"),
        (flag(rollout=101), "flags.f.rollout: should be an integer from 0 to 100 (got 101)"),
        (flag(rollout=12.5), "flags.f.rollout: should be an integer from 0 to 100 (got 12.5)"),
        (flag(rules="a == 1"), "flags.f.rules: should be a list of strings (got 'a == 1')"),
        (flag(rules=["app_version >="]),
         "flags.f.rules[0]: rule 'app_version >=': expected a value after '>=' at column 15"),
        (flag(allow=["user:1", "bob"]),
         "flags.f.allow[1]: should read 'user:ID' or 'ATTRIBUTE:VALUE' (got 'bob')"),
        (flag(allow=[":x"]), "flags.f.allow[0]: should read 'user:ID' or 'ATTRIBUTE:VALUE' (got ':x')"),
        (flag(allow=[7]), "flags.f.allow: should be a list of strings (got [7])"),
    ],
)  # fmt: skip
def test_malformed_data_is_rejected_naming_the_field(data: object, message: str) -> None:
    with pytest.raises(FlagSetError) as raised:
        FlagSet.from_json(data)

    assert str(raised.value) == message


def test_a_long_value_is_cut_in_the_message() -> None:
    with pytest.raises(FlagSetError) as raised:
        FlagSet.from_json({**WIRE, "flags": ["x" * 100]})

    assert str(raised.value) == f"flags: should be an object of flags by name (got ['{'x' * 55}...)"


def test_changed_flags_names_what_may_answer_differently() -> None:
    old = FlagSet.from_json({**WIRE, "flags": {
        "same": {"enabled": True}, "gone": {"enabled": True}, "edited": {"enabled": True},
        "on-latest": {"enabled": True, "rules": ["app_version >= latest"]}}})  # fmt: skip
    new = FlagSet.from_json({**WIRE, "version": 8, "latest_app_version": "1.5.0", "flags": {
        "same": {"enabled": True}, "edited": {"enabled": False}, "added": {"enabled": True},
        "on-latest": {"enabled": True, "rules": ["app_version >= latest"]}}})  # fmt: skip

    assert changed_flags(old, new) == ["added", "edited", "gone", "on-latest"]
    assert changed_flags(new, new) == []
