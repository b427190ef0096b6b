"""How values compare: versions when both sides are versions, else numbers, else text."""

from __future__ import annotations

from datetime import datetime

import pytest
from launchdeck_openfeature.versions import Value, Version, compare, text_of


@pytest.mark.parametrize(
    ("text", "release", "prerelease"),
    [
        ("1.4.2", (1, 4, 2), ()),
        ("v2", (2,), ()),
        ("2.0.0-beta.1", (2, 0, 0), ("beta", "1")),
        ("1.0.0-rc-2", (1, 0, 0), ("rc-2",)),
    ],
)
def test_what_reads_as_a_version(
    text: str, release: tuple[int, ...], prerelease: tuple[str, ...]
) -> None:
    assert Version.parse(text) == Version(release, prerelease)


@pytest.mark.parametrize(
    "text", ["", "v", "1.", ".1", "1..2", "1.2-", "1.2+build", "one", "-1", "1.٢"]
)
def test_what_does_not(text: str) -> None:
    assert Version.parse(text) is None


def test_versions_sort_as_semver_does_with_trailing_zeros_ignored() -> None:
    ordered = ["0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2",
               "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10", "v2"]  # fmt: skip

    keys = [Version.parse(text).key for text in ordered]  # type: ignore[union-attr]

    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert compare(Value.parse("1.4"), Value.parse("1.4.0")) == 0


def test_numbers_compare_as_numbers_and_words_as_text() -> None:
    assert compare(Value.of(10), Value.parse("9.5")) == 1  # type: ignore[arg-type]
    assert compare(Value.of(-2), Value.parse("-10")) == 1  # type: ignore[arg-type]
    assert compare(Value.parse("apple"), Value.parse("banana")) == -1
    assert compare(Value.parse("10"), Value.parse("apple")) == -1  # text: "1" < "a"


def test_context_values_of_each_type() -> None:
    assert Value.of("1.4.2") == Value.parse("1.4.2")
    assert Value.of(3) == Value("3", 3)  # a number from a context is never a version
    assert Value.of(True) == Value("true")
    assert Value.of(float("nan")) == Value("nan")  # equal to nothing: not a number
    assert Value.of(datetime(2024, 5, 1, 12, 0)) == Value("2024-05-01T12:00:00")
    assert Value.of(None) is None
    assert Value.of({"a": 1}) is None
    assert text_of(False) == "false"
    assert text_of(42) == "42"


def test_long_text_is_only_text() -> None:
    digits = "9" * 5000  # int() of it would be refused

    assert Value.parse(digits) == Value(digits)
