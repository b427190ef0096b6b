"""`[[alerts]]` and `[[environments.<env>.alerts]]`: the alert rules of launchdeck.toml.

Part of the schema (manifest/schema.py includes this table). Each value is checked by its type
(types.py); what needs several keys of one alert at once (metric or log, above or below,
a threshold's unit against its metric) is checked here, each problem at the key it is about.
Rules across alerts (unique names, what an environment turns off) are in rules.py.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from launchdeck.domain.alerts import DEFAULT_REPEAT, EVALUATION_INTERVAL, AlertMetric, LogAlert
from launchdeck.manifest.alerts.types import (
    DatapointsValue,
    For,
    LogPattern,
    MetricName,
    Threshold,
    ThresholdValue,
    Within,
)
from launchdeck.manifest.table import Table
from launchdeck.manifest.values.fieldtypes import Duration, Name, ServiceRef
from launchdeck.manifest.values.units import format_duration

_LOG = LogAlert(name="", pattern="")
_EVERY = format_duration(EVALUATION_INTERVAL)
# A threshold that makes sense for each metric, for fixes that have to suggest one.
EXAMPLE_THRESHOLDS = {
    AlertMetric.REQUESTS_PER_S: "100",
    AlertMetric.ERROR_RATE: '"2%"',
    AlertMetric.P50_MS: "200",
    AlertMetric.P95_MS: "500",
    AlertMetric.P99_MS: "1000",
    AlertMetric.CPU: '"80%"',
    AlertMetric.MEMORY: '"90%"',
    AlertMetric.CRASHES: "2",
    AlertMetric.HEALTH_REPLACEMENTS: "0",
    AlertMetric.DISK_FREE: '"10%"',
    AlertMetric.AUTOSCALE_CAPPED: "0",
    AlertMetric.QUEUE_DEPTH: "1000",
}
METRIC_KEYS = ("above", "below", "for", "datapoints")
LOG_KEYS = ("count", "within")
_ONLY_METRIC = (
    "remove it: a log alert fires when `count` lines match within `within`, "
    'e.g. count = 5 and within = "1m"'
)
_ONLY_LOG = (
    'remove it: a metric alert holds for `for` (e.g. for = "5m") or in `datapoints` '
    '(e.g. datapoints = "3 of 5")'
)


class AlertTable(Table):
    """An alert: a metric against a threshold, or a count of log lines matching a pattern.

    `metric` alerts watch one figure of the environment (or of one `service`): it breaches when
    above (or below) the threshold; no data (no requests in the window) never breaches. An
    alert is pending while it breaches, fires once it breached for `for` (or in M of the last
    N datapoints), posts once per episode to the `[notify]` webhooks with the figure, the
    threshold and the recent values, reminds every `repeat` while it keeps firing, and posts
    once more when it resolves. `log` alerts fire when `count` lines of the service's output
    match the pattern within `within`. Alerts are evaluated every 10s, one datapoint each.

    In `[[environments.<environment>.alerts]]`, an alert with the name of a top-level one
    replaces it whole in that environment, and `enabled = false` (with only the name) turns it
    off there; other names add alerts to that environment."""

    name: Name = Field(
        examples=["slow"], description="Names the alert in notices and `launchdeck alerts`."
    )
    metric: MetricName | None = Field(
        default=None,
        examples=["p95_ms"],
        description="The figure to watch (see **metric** above); or give `log`.",
    )
    above: ThresholdValue | None = Field(
        default=None,
        examples=[500],
        description='Breaches above this: a number in the metric\'s unit, "N%" for '
        '`error_rate`, `cpu` and `memory`, or a time like "500ms" for the `*_ms` metrics.',
    )
    below: ThresholdValue | None = Field(
        default=None,
        examples=[1],
        description="Breaches below this instead (e.g. `requests_per_s` below 1).",
    )
    for_: For | None = Field(
        default=None,
        alias="for",
        examples=["5m"],
        description=f"Fires once it has breached this long (at least {_EVERY}); "
        "when absent, on the first breaching datapoint.",
    )
    datapoints: DatapointsValue | None = Field(
        default=None,
        examples=["3 of 5"],
        description="Fires when M of the last N datapoints breach (CloudWatch's datapoints to "
        "alarm), and resolves when fewer do; instead of `for`.",
    )
    log: LogPattern | None = Field(
        default=None,
        examples=["Traceback|CRITICAL"],
        description="A regular expression (Python syntax) matched against each line the "
        "service writes; or give `metric`.",
    )
    count: int = Field(
        default=_LOG.count,
        ge=1,
        examples=[5],
        description="Log alerts: fires when this many lines match within `within`.",
    )
    within: Within = Field(
        default=_LOG.within_s,
        examples=["1m"],
        description="Log alerts: the window the matching lines are counted in "
        f"(at least {_EVERY}).",
    )
    service: ServiceRef | None = Field(
        default=None,
        examples=["web"],
        description="Watch this service only; every service of the environment when absent.",
    )
    keep_firing_for: Duration = Field(
        default=0.0,
        ge=0,
        examples=["5m"],
        description="Stays firing this long after the condition clears, so a flapping figure "
        "makes one episode (as Prometheus' `keep_firing_for`).",
    )
    repeat: Duration = Field(
        default=DEFAULT_REPEAT,
        ge=60,
        examples=["1h"],
        description="While it keeps firing, a reminder at most this often (at least 1m).",
    )
    enabled: bool = Field(
        default=True,
        examples=[False],
        description="false: the alert is off (in an environment: the top-level alert of this "
        "name is off there).",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.enabled or self.metric is not None or self.log is not None:
            problems = self._kind_problems()
            if problems:
                raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def _given(self, keys: tuple[str, ...]) -> list[str]:
        """Which of `keys` the file wrote (`for` is the attribute `for_`)."""
        return [key for key in keys if ("for_" if key == "for" else key) in self.model_fields_set]

    def _kind_problems(self) -> list[InitErrorDetails]:
        if self.metric is not None and self.log is not None:
            fix = "split it into two [[alerts]], each with its own name"
            message = "an alert watches a metric or a log pattern, not both"
            return [_problem(("log",), message, fix)]
        if self.metric is not None:
            wrong = self._given(LOG_KEYS)
            problems = [_problem((key,), "only applies to log alerts", _ONLY_LOG) for key in wrong]
            return problems + self._metric_problems(AlertMetric(self.metric))
        if self.log is not None:
            wrong = self._given(METRIC_KEYS)
            return [
                _problem((key,), "only applies to metric alerts", _ONLY_METRIC) for key in wrong
            ]
        message = "an alert needs metric (a figure to watch) or log (a pattern to count)"
        fix = 'add metric = "p95_ms" and above = 500, or log = "Traceback"'
        return [_problem((), message, fix, hide_value=True)]

    def _metric_problems(self, metric: AlertMetric) -> list[InitErrorDetails]:
        if self.above is not None and self.below is not None:
            message = "an alert breaches above or below a threshold, not both"
            fix = "keep one; to watch a range, write two alerts"
            return [_problem(("below",), message, fix)]
        if self.above is not None:
            problems = _unit_problems(metric, "above", self.above)
        elif self.below is not None:
            problems = _unit_problems(metric, "below", self.below)
        else:
            message = "a metric alert needs a threshold: above or below"
            fix = f"add above = {EXAMPLE_THRESHOLDS[metric]}"
            return [_problem((), message, fix, hide_value=True)]
        if self.for_ is not None and self.datapoints is not None:
            held = f'for = "{format_duration(self.for_)}"'
            window = f'datapoints = "{self.datapoints[0]} of {self.datapoints[1]}"'
            message = "cannot be combined with `for`: both say how long the condition must hold"
            problems.append(_problem(("datapoints",), message, f"keep {held} or {window}"))
        return problems


def _unit_problems(metric: AlertMetric, key: str, threshold: Threshold) -> list[InitErrorDetails]:
    number, unit = threshold.number, threshold.unit
    if metric.percent and unit != "%":
        message = f"{metric} is a percentage: write it with %"
        if unit == "ms":
            fix = f"use {key} = {EXAMPLE_THRESHOLDS[metric]}"
        elif 0 < number < 1:
            fix = f'use {key} = "{number * 100:g}%" ({number:g} as a fraction) or "{number:g}%"'
        else:
            fix = f'use {key} = "{number:g}%"'
        return [_problem((key,), message, fix)]
    if metric.percent and number > 100 and metric is not AlertMetric.CPU:
        # cpu may pass 100%: without a limit it is a fraction of one core
        return [_problem((key,), "should be at most 100%", f'use {key} = "100%" or less')]
    if metric.milliseconds and unit == "%":
        message = f"{metric} is a response time in milliseconds, not a percentage"
        fix = f'use {key} = {number:g} (milliseconds) or a time like "{number:g}ms"'
        return [_problem((key,), message, fix)]
    if (metric is AlertMetric.REQUESTS_PER_S or metric.counted) and unit:
        kind = "a percentage" if unit == "%" else "a time"
        what = "requests per second" if metric is AlertMetric.REQUESTS_PER_S else "events"
        message = f"{metric} is a number of {what}, not {kind}"
        example = EXAMPLE_THRESHOLDS[metric]
        fix = f"use {key} = {number:g}" if unit == "%" else f"use {key} = {example}"
        return [_problem((key,), message, fix)]
    return []


def _problem(
    loc: tuple[str, ...], message: str, fix: str, *, hide_value: bool = False
) -> InitErrorDetails:
    # The translation (issues.py) shows the value the file wrote at `loc`, so no input is
    # passed here; `hide_value` for a problem about the alert as a whole (loc is the table).
    context: dict[str, object] = {"fix": fix}
    if hide_value:
        context["hide_value"] = True
    error = PydanticCustomError("alert", message, context)
    return InitErrorDetails(type=error, loc=loc, input=None)
