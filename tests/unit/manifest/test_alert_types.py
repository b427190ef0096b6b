"""The value types of [[alerts]] on their own: thresholds, "M of N", patterns."""

import pytest
from pydantic import TypeAdapter, ValidationError

from launchdeck.domain.alerts import AlertMetric
from launchdeck.manifest import ManifestError, parse_manifest
from launchdeck.manifest.alerts.types import (
    METRIC_HELP,
    DatapointsValue,
    Threshold,
    ThresholdValue,
)

SERVICES = '[services.web]\ncommand = "serve"\nport = "$PORT"\n'
THRESHOLD: TypeAdapter[Threshold] = TypeAdapter(ThresholdValue)
DATAPOINTS: TypeAdapter[tuple[int, int]] = TypeAdapter(DatapointsValue)


def issues(alert: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(f'{SERVICES}[[alerts]]\nname = "a"\n{alert}\n')
    return [str(issue) for issue in caught.value.issues]


@pytest.mark.parametrize(
    ("written", "threshold"),
    [
        (500, Threshold(500.0, 500.0, "")),
        (0.5, Threshold(0.5, 0.5, "")),
        ("2%", Threshold(0.02, 2.0, "%")),
        (" 2.5 % ", Threshold(0.025, 2.5, "%")),
        ("500ms", Threshold(500.0, 500.0, "ms")),
        ("1.5s", Threshold(1500.0, 1500.0, "ms")),
    ],
)
def test_thresholds(written: object, threshold: Threshold) -> None:
    assert THRESHOLD.validate_python(written) == threshold


def test_a_threshold_shows_as_written() -> None:
    assert [str(THRESHOLD.validate_python(v)) for v in (500, "2%", "1.5s")] == ["500", "2%", "1500"]


@pytest.mark.parametrize(
    ("alert", "expected"),
    [
        ('metric = "p95_ms"\nabove = "500"',
         "alerts.0.above: should be a number, a percentage like '2%' or a time like '500ms' "
         "(got '500'); fix: use 500 (no quotes) for a number, or add its unit: '500%' or '500ms'"),
        ('metric = "p95_ms"\nabove = "fast"',
         "alerts.0.above: should be a number, a percentage like '2%' or a time like '500ms' "
         "(got 'fast'); fix: write above = 500 (a number), above = \"2%\" or above = \"500ms\""),
        ('metric = "p95_ms"\nabove = true',
         "alerts.0.above: should be a number, a percentage like '2%' or a time like '500ms' "
         "(got True); fix: write above = 500 (a number), above = \"2%\" or above = \"500ms\""),
        ('metric = "p95_ms"\nabove = -5',
         "alerts.0.above: should not be negative (got -5); fix: use 5"),
    ],
)  # fmt: skip
def test_threshold_errors(alert: str, expected: str) -> None:
    assert issues(alert) == [expected]


@pytest.mark.parametrize(
    ("written", "value"), [("3 of 5", (3, 5)), ("1 of 1", (1, 1)), ("360 of 360", (360, 360))]
)
def test_datapoints(written: str, value: tuple[int, int]) -> None:
    assert DATAPOINTS.validate_python(written) == value


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"5 of 3"',
         "alerts.0.datapoints: needs 5 breaching datapoints out of only 3 (got '5 of 3'); "
         'fix: use "3 of 5"'),
        ('"3/5"',
         "alerts.0.datapoints: should be \"M of N\", e.g. \"3 of 5\" (got '3/5'); "
         'fix: use "3 of 5"'),
        ('"3 out of 5"',
         "alerts.0.datapoints: should be \"M of N\", e.g. \"3 of 5\" (got '3 out of 5'); "
         'fix: use "3 of 5"'),
        ("3",
         'alerts.0.datapoints: should be "M of N", e.g. "3 of 5" (got 3); fix: write it as '
         '"M of N": datapoints = "3 of 5" fires when 3 of the last 5 datapoints (10s apart) '
         "breach"),
        ('"0 of 5"',
         "alerts.0.datapoints: should need at least 1 datapoint (got '0 of 5'); "
         'fix: use "1 of 5"'),
        ('"3 of 400"',
         "alerts.0.datapoints: should look at most 360 datapoints back (1h) (got '3 of 400'); "
         'fix: use for = "..." to require a longer breach'),
    ],
)  # fmt: skip
def test_datapoints_errors(written: str, expected: str) -> None:
    assert issues(f'metric = "cpu"\nabove = "80%"\ndatapoints = {written}') == [expected]


def test_datapoints_in_words_are_refused() -> None:
    with pytest.raises(ValidationError):
        DATAPOINTS.validate_python("five of ten")


def test_every_metric_is_described() -> None:
    assert list(METRIC_HELP) == list(AlertMetric)
