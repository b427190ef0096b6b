"""A log alert's regular expression as a CloudWatch Logs filter pattern, or a refusal."""

from __future__ import annotations

import pytest

from launchdeck.drivers.aws.synth.alerting.log_filters import (
    FilterPattern,
    Untranslatable,
    filter_pattern,
)


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        ("Traceback", '"Traceback"'),
        ("Traceback|CRITICAL", '?"Traceback" ?"CRITICAL"'),
        ("ERROR:|FATAL:|panic:", '?"ERROR:" ?"FATAL:" ?"panic:"'),
        (r"Traceback \(most recent call last\)", '"Traceback (most recent call last)"'),
        (r"out of memory|disk full \[/data\]", '?"out of memory" ?"disk full [/data]"'),
        (r"a\|b", '"a|b"'),  # an escaped bar is text
        ("payment failed", '"payment failed"'),
    ],
)
def test_text_and_alternatives_of_text_become_quoted_terms(regex: str, expected: str) -> None:
    assert filter_pattern(regex) == FilterPattern(expected, regex=False)


@pytest.mark.parametrize(
    "regex",
    ["[Ee]rror|FATAL", r"^ERROR", r"5\d\d", r"timeout=\d+ms", "colou?r", r"user@[a-z]+\.com$"],
)
def test_a_regex_cloudwatch_can_run_is_kept_as_one(regex: str) -> None:
    assert filter_pattern(regex) == FilterPattern(f"%{regex}%", regex=True)


GUIDE = (
    "CloudWatch's regular expressions take only letters, digits, _#=@/;,- and ^$?[]{}|\\*+. "
    "(no groups, no spaces)"
)


@pytest.mark.parametrize(
    ("regex", "found"),
    [
        ("(?i)error", "'(' ')'"),
        (r"\d+ ERROR", "' '"),
        ("Error: .*timeout", "' ' ':'"),
        ("(Traceback|Exception)", "'(' ')'"),
        (r'say "hi"|bye.*', "' ' '\"'"),
    ],
)
def test_a_regex_cloudwatch_cannot_run_is_refused_naming_what(regex: str, found: str) -> None:
    with pytest.raises(Untranslatable) as refused:
        filter_pattern(regex)
    assert refused.value.message == (
        f"is a regular expression CloudWatch Logs cannot run: it uses {found}, and {GUIDE}"
    )
    assert refused.value.fix == (
        "write it as text alternatives, e.g. 'Traceback|CRITICAL' (any text, spaces included), "
        "or as a regex of letters, digits, _#=@/;,- and ^$?[]{}|\\*+. only (e.g. '[Ee]rror|FATAL')"
    )


@pytest.mark.parametrize("regex", ["", "Traceback|", "|x", "a||b"])
def test_an_empty_alternative_matches_every_line(regex: str) -> None:
    with pytest.raises(Untranslatable) as refused:
        filter_pattern(regex)
    assert refused.value.message == "has an empty alternative, which matches every line"


def test_a_pattern_longer_than_cloudwatch_takes() -> None:
    with pytest.raises(Untranslatable) as refused:
        filter_pattern("|".join(f"word{n}" for n in range(200)))
    assert refused.value.message == (
        "becomes a filter pattern of 2089 characters; CloudWatch takes 1024 at most"
    )
