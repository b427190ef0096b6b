import pytest

from launchdeck.domain import Amount
from launchdeck.manifest.values.units import (
    BadValue,
    format_duration,
    format_size,
    parse_amount,
    parse_duration,
    parse_size,
)

KiB, MiB, GiB = 1024, 1024**2, 1024**3


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("1s", 1.0), ("1.5s", 1.5), ("5m", 300.0), ("1h", 3600.0), (3, 3.0),
     (0.25, 0.25), (" 2 s ", 2.0), ("-1s", -1.0)],
)  # fmt: skip
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("30", "use '30s'"),
        ("10sec", "use '10s'"),
        ("5 minutes", "use '5m'"),
        ("2S", "use '2s'"),
        ("1d", "use one of the units ms, s, m or h, e.g. '30s'"),
        ("soon", "write a number and a unit (ms, s, m or h), e.g. '30s'"),
        (True, "write a number and a unit (ms, s, m or h), e.g. '30s'"),
    ],
)
def test_bad_duration_says_how_to_write_it(text: object, fix: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_duration(text)
    assert (caught.value.message, caught.value.fix) == (
        "should be a duration like '500ms', '1s', '1.5s', '5m', '1h' or a number of seconds",
        fix,
    )


@pytest.mark.parametrize(
    ("text", "size"),
    [("512MiB", 512 * MiB), ("1GiB", GiB), ("256M", 256_000_000), ("1G", 1_000_000_000),
     ("100KiB", 100 * KiB), (1024, 1024), ("1.5GiB", GiB * 3 // 2), ("10K", 10_000)],
)  # fmt: skip
def test_parse_size_binary_and_decimal_units(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("512", "add a unit, e.g. '512MiB' (or write 512 without quotes for bytes)"),
        ("512mb", "use '512M'"),
        ("512mib", "use '512MiB'"),
        ("2XB", "use one of the units KiB, MiB, GiB (binary) or K, M, G (decimal), e.g. '512MiB'"),
        ("lots", "write a number and a unit (KiB, MiB, GiB, K, M, G), e.g. '512MiB'"),
        (1.5, "write a number and a unit (KiB, MiB, GiB, K, M, G), e.g. '512MiB'"),
        (False, "write a number and a unit (KiB, MiB, GiB, K, M, G), e.g. '512MiB'"),
    ],
)
def test_bad_size_says_how_to_write_it(text: object, fix: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_size(text)
    assert (caught.value.message, caught.value.fix) == (
        "should be a size like '512MiB', '1GiB', '256M', '100KiB' or a number of bytes",
        fix,
    )


@pytest.mark.parametrize(
    ("value", "amount"),
    [(0, Amount(0)), (2, Amount(2)), ("25%", Amount(25, percent=True)),
     ("100%", Amount(100, percent=True))],
)  # fmt: skip
def test_parse_amount(value: object, amount: Amount) -> None:
    assert parse_amount(value) == amount


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("2", "use 2 (no quotes) or '2%'"),
        (-1, "use a whole number of instances like 1, or a percentage like '25%'"),
        ("half", "use a whole number of instances like 1, or a percentage like '25%'"),
        (True, "use a whole number of instances like 1, or a percentage like '25%'"),
    ],
)
def test_bad_amount(value: object, fix: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_amount(value)
    assert caught.value.fix == fix


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0s"), (0.5, "500ms"), (1.0, "1s"), (1.5, "1.5s"), (90.0, "90s"), (300.0, "5m"),
     (3600.0, "1h")],
)  # fmt: skip
def test_format_duration_round_trips(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("size", "text"), [(512 * MiB, "512MiB"), (GiB, "1GiB"), (4 * MiB, "4MiB"), (1000, "1000")]
)
def test_format_size_round_trips(size: int, text: str) -> None:
    assert format_size(size) == text
    assert parse_size(text if not text.isdigit() else int(text)) == size
