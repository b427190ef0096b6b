"""The value types of `[[alerts]]`: metric names, thresholds, "M of N", patterns, windows.

Like values/fieldtypes.py: each validator raises a PydanticCustomError carrying its fix, and a Doc
marker names the type in the docs. Whether a threshold's unit suits its metric needs both keys,
so schema.py checks that.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, PlainValidator

from launchdeck.domain.alerts import EVALUATION_INTERVAL, MAX_DATAPOINTS, AlertMetric
from launchdeck.manifest.values.fieldtypes import Doc, Duration, field_error
from launchdeck.manifest.values.suggest import closest
from launchdeck.manifest.values.units import Durations, format_duration

_LATENCY = Durations(("ms", "s"), "500ms", bare_seconds=False, help="a time like '500ms'")
METRICS = ", ".join(metric.value for metric in AlertMetric)
# What each metric is, in the unit its threshold is written in (docs/manifest.md lists these).
METRIC_HELP = {
    AlertMetric.REQUESTS_PER_S: "requests per second",
    AlertMetric.ERROR_RATE: "the share of responses that are 5xx, a percentage",
    AlertMetric.P50_MS: "median response time, in milliseconds",
    AlertMetric.P95_MS: "95th percentile response time, in milliseconds",
    AlertMetric.P99_MS: "99th percentile response time, in milliseconds",
    AlertMetric.CPU: "CPU use, a percentage of `resources.cpu` (of one core without it)",
    AlertMetric.MEMORY: "memory use, a percentage of the instance's memory limit (of the host's "
    "memory without one)",
    AlertMetric.CRASHES: "crashes of a service in the last 5 minutes (instances that exited, "
    "or were replaced for failing their health check)",
    AlertMetric.HEALTH_REPLACEMENTS: "instances of a service replaced for failing their health "
    "check in the last 10 minutes",
    AlertMetric.DISK_FREE: "free space on the disk holding the environment's add-on data, a "
    "percentage",
    AlertMetric.AUTOSCALE_CAPPED: "instances a service's autoscaling wants that the host's free "
    "memory cannot take",
    AlertMetric.QUEUE_DEPTH: "messages waiting in the queue a service declares (`queue`)",
}
# Names people reach for first, so the fix can name the metric they meant.
_METRIC_ALIASES = {
    "rps": "requests_per_s", "requests": "requests_per_s", "throughput": "requests_per_s",
    "request_rate": "requests_per_s", "errors": "error_rate", "5xx": "error_rate",
    "error_percent": "error_rate", "latency": "p95_ms", "response_time": "p95_ms",
    "median": "p50_ms", "p50": "p50_ms", "p95": "p95_ms", "p99": "p99_ms",
    "cpu_percent": "cpu", "mem": "memory", "rss": "memory", "memory_percent": "memory",
    "restarts": "crashes", "crash": "crashes", "disk": "disk_free", "free_disk": "disk_free",
    "backlog": "queue_depth", "queue": "queue_depth", "queue_length": "queue_depth",
}  # fmt: skip
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_NUMBER = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")
_DATAPOINTS = re.compile(r"^(\d+) of (\d+)$")
_LOOSE_DATAPOINTS = re.compile(r"^\s*(\d+)\s*(?:of|/|out of|in)\s*(\d+)\s*$", re.IGNORECASE)
_DATAPOINTS_FIX = (
    'write it as "M of N": datapoints = "3 of 5" fires when 3 of the last 5 datapoints '
    f"({EVALUATION_INTERVAL:g}s apart) breach"
)
_THRESHOLD_HELP = "a number, a percentage like '2%' or a time like '500ms'"


@dataclass(frozen=True)
class Threshold:
    """A threshold as written: `value` in the domain's unit (a percentage as a fraction, a time
    in milliseconds), `number` as the file wrote it, and which unit it carried."""

    value: float
    number: float
    unit: Literal["", "%", "ms"]

    def __str__(self) -> str:
        return f"{self.number:g}{self.unit}" if self.unit == "%" else f"{self.value:g}"


def _metric(value: str) -> str:
    if value in {metric.value for metric in AlertMetric}:
        return value
    meant = _METRIC_ALIASES.get(value.lower()) or closest(value, [m.value for m in AlertMetric])
    fix = f"did you mean {meant!r}? metrics are: {METRICS}" if meant else f"use one of {METRICS}"
    raise field_error("metric", "unknown metric", fix)


def _threshold(value: object) -> Threshold:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise field_error("threshold", "should not be negative", f"use {-value:g}")
        return Threshold(float(value), float(value), "")
    if isinstance(value, str):
        if match := _PERCENT.fullmatch(value):
            return Threshold(float(match[1]) / 100, float(match[1]), "%")
        if _NUMBER.fullmatch(value):
            number = float(value)
            fix = f"use {number:g} (no quotes) for a number, or add its unit: '{number:g}%' or "
            raise field_error("threshold", f"should be {_THRESHOLD_HELP}", f"{fix}'{number:g}ms'")
        try:
            milliseconds = _LATENCY.seconds(value) * 1000
        except ValueError:
            pass
        else:
            return Threshold(milliseconds, milliseconds, "ms")
    raise field_error(
        "threshold",
        f"should be {_THRESHOLD_HELP}",
        'write above = 500 (a number), above = "2%" or above = "500ms"',
    )


def _for(seconds: float) -> float:
    if seconds >= EVALUATION_INTERVAL:
        return seconds
    interval = format_duration(EVALUATION_INTERVAL)
    raise field_error(
        "for_too_short",
        f"should be at least {interval}: alerts are evaluated every {interval}",
        f'use for = "{interval}" or more, or remove it to fire on the first breaching datapoint',
    )


def _within(seconds: float) -> float:
    if seconds >= EVALUATION_INTERVAL:
        return seconds
    interval = format_duration(EVALUATION_INTERVAL)
    raise field_error(
        "within_too_short",
        f"should be at least {interval}: matching lines are counted every {interval}",
        f'use within = "{interval}" or more',
    )


def _datapoints(value: object) -> tuple[int, int]:
    text = value if isinstance(value, str) else ""
    if not (match := _DATAPOINTS.fullmatch(text)):
        loose = _LOOSE_DATAPOINTS.fullmatch(text)
        fix = f'use "{loose[1]} of {loose[2]}"' if loose else _DATAPOINTS_FIX
        raise field_error("datapoints", 'should be "M of N", e.g. "3 of 5"', fix)
    needed, window = int(match[1]), int(match[2])
    if needed < 1:
        raise field_error("datapoints", "should need at least 1 datapoint", f'use "1 of {window}"')
    if needed > window:
        message = f"needs {needed} breaching datapoints out of only {window}"
        raise field_error("datapoints", message, f'use "{window} of {needed}"')
    if window > MAX_DATAPOINTS:
        span = format_duration(MAX_DATAPOINTS * EVALUATION_INTERVAL)
        raise field_error(
            "datapoints",
            f"should look at most {MAX_DATAPOINTS} datapoints back ({span})",
            'use for = "..." to require a longer breach',
        )
    return needed, window


def _pattern(value: str) -> str:
    if not value.strip():
        raise field_error("log", "should not be empty", 'use a pattern like "Traceback|CRITICAL"')
    try:
        compiled = re.compile(value)
    except re.error as error:
        where = f" at position {error.pos}" if error.pos is not None else ""
        raise field_error(
            "regex", f"is not a valid regular expression: {error.msg}{where}", _regex_fix(error)
        ) from None
    if compiled.search("") is not None:
        raise field_error(
            "regex",
            "matches every line (it matches an empty one)",
            'make it require some text, e.g. "Traceback|CRITICAL"',
        )
    return value


def _regex_fix(error: re.error) -> str:
    pattern, pos = error.pattern, error.pos
    general = (
        "use Python's re syntax; in single quotes (a TOML literal string) backslashes stay as "
        r"written: log = 'Error \[\d+\]'"
    )
    if not isinstance(pattern, str) or pos is None or pos >= len(pattern):
        return general
    escaped = f"{pattern[:pos]}\\{pattern[pos:]}"
    try:
        re.compile(escaped)
    except re.error:
        return general
    shown = f"'{escaped}'" if "'" not in escaped else json.dumps(escaped)
    escape = f"escape {pattern[pos]!r} to match it as text: log = {shown}"
    return f"close the group with ')', or {escape}" if error.msg.startswith("missing )") else escape


def _show_datapoints(value: tuple[int, int]) -> str:
    return f'"{value[0]} of {value[1]}"'


For = Annotated[Duration, AfterValidator(_for)]
Within = Annotated[Duration, AfterValidator(_within)]
MetricName = Annotated[str, AfterValidator(_metric), Doc("metric")]
ThresholdValue = Annotated[
    Threshold, PlainValidator(_threshold), Doc("threshold", lambda t: json.dumps(str(t)))
]
DatapointsValue = Annotated[
    tuple[int, int], PlainValidator(_datapoints), Doc('"M of N"', _show_datapoints)
]
LogPattern = Annotated[str, AfterValidator(_pattern), Doc("regular expression")]
