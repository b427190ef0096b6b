"""Rules: what parses, what each operator matches on versions, numbers and strings, and the exact
error (text and column) for what does not parse."""

from __future__ import annotations

import pytest
from launchdeck_openfeature.errors import RuleError
from launchdeck_openfeature.rules import LATEST, MAX_RULE_LENGTH, Op, Rule, parse_rule
from launchdeck_openfeature.versions import Value


def matches(rule: str, actual: object, latest: str | None = None) -> bool:
    return parse_rule(rule).matches(actual, None if latest is None else Value.parse(latest))


def test_a_rule_parses_into_its_attribute_operator_and_value() -> None:
    rule = parse_rule("app_version >= 1.4.2")

    assert (rule.attribute, rule.op, rule.operands) == (
        "app_version",
        Op.GE,
        (Value.parse("1.4.2"),),
    )
    assert str(rule) == "app_version >= 1.4.2"


@pytest.mark.parametrize(
    ("text", "op", "operands"),
    [
        ("plan=='pro'", Op.EQ, ("pro",)),
        ('  plan != "free plan"  ', Op.NE, ("free plan",)),
        ("age<18", Op.LT, ("18",)),
        ("score > -0.5", Op.GT, ("-0.5",)),
        ("device.os <= v2", Op.LE, ("v2",)),
        ("email == a@b.c", Op.EQ, ("a@b.c",)),
        ("country in [DE, 'FR', 3]", Op.IN, ("DE", "FR", "3")),
        ("country not   in[DE]", Op.NOT_IN, ("DE",)),
        ("app_version >= 2.0.0-beta.1", Op.GE, ("2.0.0-beta.1",)),
        ("name == ''", Op.EQ, ("",)),
    ],
)
def test_what_parses(text: str, op: Op, operands: tuple[str, ...]) -> None:
    rule = parse_rule(text)

    assert rule.op is op
    assert tuple(o.text for o in rule.operands if isinstance(o, Value)) == operands


def test_latest_is_a_keyword_and_a_quoted_latest_is_a_string() -> None:
    assert parse_rule("app_version >= latest").operands == (LATEST,)
    assert parse_rule("app_version >= latest").uses_latest
    assert parse_rule("channel == 'latest'").operands == (Value.parse("latest"),)
    assert parse_rule("app_version in [latest, 1.0]").uses_latest


@pytest.mark.parametrize(
    ("rule", "actual", "expected"),
    [
        ("app_version >= 1.4.2", "1.4.10", True),  # versions, not text: 10 > 2
        ("app_version >= 1.4.2", "1.4.2", True),
        ("app_version > 1.4.2", "1.4.2", False),
        ("app_version == 1.4", "1.4.0", True),  # trailing zeros do not count
        ("app_version == v1.4.2", "1.4.2", True),  # a leading v is allowed
        ("app_version < 2.0.0", "2.0.0-beta.1", True),  # a pre-release sorts before its release
        ("app_version > 2.0.0-beta.2", "2.0.0-beta.10", True),  # pre-release parts as numbers
        ("app_version > 2.0.0-alpha", "2.0.0-beta", True),
        ("app_version > 2.0.0-beta", "2.0.0-beta.1", True),  # a longer pre-release sorts after
        ("age >= 18", 18, True),  # numbers
        ("age >= 18", 9, False),
        ("age >= 18", "9", False),  # both read as versions: 9 < 18 as well
        ("score > 0.5", 0.75, True),
        ("score > -1", 0, True),
        ("plan == pro", "pro", True),  # strings
        ("plan == pro", "Pro", False),
        ("plan != pro", "free", True),
        ("plan < pro", "free", True),  # plain string ordering
        ("plan == 'free plan'", "free plan", True),
        ("beta == true", True, True),  # booleans read true/false
        ("beta == true", False, False),
        ("country in [DE, FR]", "FR", True),
        ("country in [DE, FR]", "IT", False),
        ("country not in [DE, FR]", "IT", True),
        ("country not in [DE, FR]", "DE", False),
        ("build in [100, 200]", 200, True),
        ("app_version in [1.4, 1.5]", "1.5.0", True),
        ("mixed == 3", "three", False),  # a number and a word: compared as text
    ],
)
def test_what_matches(rule: str, actual: object, expected: bool) -> None:
    assert matches(rule, actual) is expected


@pytest.mark.parametrize("rule", ["plan == pro", "plan != pro", "plan not in [pro]", "n < 3"])
def test_a_missing_attribute_never_matches(rule: str) -> None:
    assert matches(rule, None) is False
    assert matches(rule, ["a", "list"]) is False


def test_latest_compares_with_the_newest_app_version_and_never_matches_while_unknown() -> None:
    assert matches("app_version >= latest", "1.4.2", latest="1.4.2") is True
    assert matches("app_version >= latest", "1.4.1", latest="1.4.2") is False
    assert matches("app_version >= latest", "1.4.2", latest=None) is False
    assert matches("app_version != latest", "1.4.2", latest=None) is False


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("app_version >=", 14, "rule 'app_version >=': expected a value after '>=' at column 15"),
        ("app_version ~ 1.0", 12,
         "rule 'app_version ~ 1.0': expected an operator (==, !=, >=, <=, >, <, in, not in) after "
         "'app_version', got '~' at column 13"),
        ("app_version => 1.0", 12,
         "rule 'app_version => 1.0': expected an operator (==, !=, >=, <=, >, <, in, not in) "
         "after 'app_version', got '=>' at column 13; did you mean '>='?"),
        ("plan = pro", 5,
         "rule 'plan = pro': expected an operator (==, !=, >=, <=, >, <, in, not in) after "
         "'plan', got '=' at column 6; did you mean '=='?"),
        ('plan == "pro', 8,
         "rule 'plan == \"pro': unterminated string: expected a closing \" for the string opened "
         "at column 9"),
        ("app_version >= 1.0 beta", 19,
         "rule 'app_version >= 1.0 beta': expected the end of the rule after '1.0', got 'beta' at "
         "column 20"),
        ("a == 1 and b == 2", 7,
         "rule 'a == 1 and b == 2': expected the end of the rule after '1', got 'and' at column 8; "
         "a rule is one condition: give each its own rule (a flag's rules must all match)"),
        ("country in [DE, FR", 18, "rule 'country in [DE, FR': expected ',' or ']' after 'FR' at column 19"),
        ("country in [DE FR]", 15,
         "rule 'country in [DE FR]': expected ',' or ']' after 'DE', got 'FR]' at column 16"),
        ("country in [DE,, FR]", 15, "rule 'country in [DE,, FR]': expected a value after ',', got ',' at column 16"),
        ("country in []", 12, "rule 'country in []': expected a value after '[', got ']' at column 13"),
        ("country in DE", 11,
         "rule 'country in DE': expected a list like [a, b] after 'in', got 'DE' at column 12"),
        ("country == [DE]", 11,
         "rule 'country == [DE]': expected one value after '==', got a list at column 12; lists "
         "go after 'in' and 'not in'"),
        ("", 0, "rule '': expected an attribute name at column 1; a rule reads 'app_version >= 1.4'"),
        ("9lives == 1", 0,
         "rule '9lives == 1': expected an attribute name (a letter or '_' first), got '9lives' at "
         "column 1"),
        ("plan\t== pro", 4,
         "rule 'plan\\t== pro': expected printable characters, got a control character (U+0009) "
         "at column 5"),
    ],
)  # fmt: skip
def test_a_rule_that_does_not_parse_says_what_was_expected_where(
    text: str, column: int, message: str
) -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(text)

    assert raised.value.position == column
    assert raised.value.summary == message


def test_the_error_shows_the_rule_with_a_caret_under_the_column() -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule("app_version >=")

    assert str(raised.value) == (
        "rule 'app_version >=': expected a value after '>=' at column 15\n"
        "  app_version >=\n"
        "                ^"
    )


def test_a_rule_error_is_a_value_error_for_validators() -> None:
    with pytest.raises(ValueError, match="expected a value"):
        parse_rule("x ==")


def test_a_rule_longer_than_the_cap_is_refused_without_echoing_it() -> None:
    text = "plan == " + "x" * MAX_RULE_LENGTH

    with pytest.raises(RuleError) as raised:
        parse_rule(text)

    assert raised.value.position == MAX_RULE_LENGTH
    assert str(raised.value) == (
        f"rule {text[:60] + '...'!r}: expected at most 500 characters, got 508 at column 501"
    )
    assert isinstance(parse_rule("plan == " + "x" * (MAX_RULE_LENGTH - 8)), Rule)
