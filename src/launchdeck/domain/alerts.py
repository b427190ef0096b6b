"""Alerts: the rules a manifest's `[[alerts]]` declare, and where each rule stands.

A metric alert watches one figure of an environment (or one of its services) against a
threshold; a log alert counts lines matching a pattern. Both have states that move
ok -> pending -> firing -> resolved -> ok, fire once per episode and repeat at most every
`repeat` seconds while firing. `planning.alerts.evaluate` moves an `AlertStatus` on; the caller
keeps the status between evaluations (and across restarts) and sends the `AlertNotice`s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DEFAULT_REPEAT = 4 * 3600.0  # seconds between reminders of an alert that keeps firing
EVALUATION_INTERVAL = 10.0  # seconds between evaluations; one datapoint each
SUMMARY_POINTS = 30  # the recent values a notice carries (5 minutes of datapoints)
MAX_DATAPOINTS = 360  # the largest N of "M of N": an hour of datapoints


class AlertMetric(StrEnum):
    """The figures a metric alert can watch, with the unit its threshold is in."""

    REQUESTS_PER_S = "requests_per_s"  # requests per second
    ERROR_RATE = "error_rate"  # 5xx / requests, a fraction (written "2%")
    P50_MS = "p50_ms"  # response time percentiles, milliseconds
    P95_MS = "p95_ms"
    P99_MS = "p99_ms"
    CPU = "cpu"  # of the instance's CPU limit (or one core), a fraction (written "80%")
    MEMORY = "memory"  # of the instance's memory limit (or the host's), a fraction ("90%")
    # what the platform itself sees (the built-in alerts watch these; on one host only)
    CRASHES = "crashes"  # of one service in the last 5 minutes, health replacements included
    HEALTH_REPLACEMENTS = "health_replacements"  # of one service, for failing health, last 10m
    DISK_FREE = "disk_free"  # of the filesystem an add-on's data is on, a fraction ("10%")
    AUTOSCALE_CAPPED = "autoscale_capped"  # instances autoscaling wants but the host cannot take
    QUEUE_DEPTH = "queue_depth"  # messages waiting in the queue a service declares

    @property
    def percent(self) -> bool:
        """Whether its threshold is written as a percentage."""
        return self in PERCENT_METRICS

    @property
    def milliseconds(self) -> bool:
        return self in LATENCY_METRICS

    @property
    def per_request(self) -> bool:
        """Whether it comes from the router's request log: only services with a port have it."""
        return self in REQUEST_METRICS

    @property
    def counted(self) -> bool:
        """Whether it is a count of events (no unit)."""
        return self in (
            AlertMetric.CRASHES,
            AlertMetric.HEALTH_REPLACEMENTS,
            AlertMetric.AUTOSCALE_CAPPED,
            AlertMetric.QUEUE_DEPTH,
        )

    @property
    def platform(self) -> bool:
        """Whether launchdeck's own one-host runtime measures it (crashes, health replacements,
        add-on disk): on AWS, ECS and RDS look after these themselves."""
        return self.counted or self is AlertMetric.DISK_FREE

    def show(self, value: float) -> str:
        """`value` in this metric's unit, as people read it: "2.5%", "812ms", "120/s"."""
        if self.percent:
            return f"{round(value * 100, 2):g}%"
        if self.milliseconds:
            return f"{round(value)}ms" if value >= 10 else f"{round(value, 2):g}ms"
        if self.counted:
            return f"{value:g}"
        return f"{round(value, 2):g}/s"


PERCENT_METRICS = frozenset(
    {AlertMetric.ERROR_RATE, AlertMetric.CPU, AlertMetric.MEMORY, AlertMetric.DISK_FREE}
)
LATENCY_METRICS = frozenset({AlertMetric.P50_MS, AlertMetric.P95_MS, AlertMetric.P99_MS})
REQUEST_METRICS = frozenset({*LATENCY_METRICS, AlertMetric.ERROR_RATE, AlertMetric.REQUESTS_PER_S})


class AlertState(StrEnum):
    OK = "ok"
    PENDING = "pending"  # the condition holds, not yet for long enough
    FIRING = "firing"
    RESOLVED = "resolved"  # was firing, the condition cleared (then ok)


@dataclass(frozen=True)
class MetricAlert:
    """`metric` above (or below) `threshold` for `for_s` seconds; with `datapoints` (M of N),
    M of the last N datapoints breaching instead (CloudWatch's datapoints to alarm)."""

    name: str
    metric: AlertMetric
    threshold: float  # in the metric's unit; a percentage as a fraction
    above: bool = True  # False: fires below the threshold
    for_s: float = 0.0
    datapoints: tuple[int, int] | None = None  # (M, N)
    service: str | None = None  # None: every service of the environment
    keep_firing_for: float = 0.0  # stays firing this long after the condition clears
    repeat: float = DEFAULT_REPEAT

    def breaches(self, value: float | None) -> bool:
        """Whether one datapoint breaches; no data never does (CloudWatch's notBreaching)."""
        if value is None:
            return False
        return value > self.threshold if self.above else value < self.threshold

    def condition(self) -> str:
        """What the rule watches, e.g. "p95_ms of web above 500ms for 5m"."""
        where = f" of {self.service}" if self.service else ""
        side = "above" if self.above else "below"
        if self.datapoints:
            held = f" in {self.datapoints[0]} of {self.datapoints[1]} datapoints"
        else:
            held = f" for {_duration(self.for_s)}" if self.for_s else ""
        return f"{self.metric}{where} {side} {self.metric.show(self.threshold)}{held}"


@dataclass(frozen=True)
class LogAlert:
    """At least `count` log lines matching `pattern` (a regular expression) within `within_s`."""

    name: str
    pattern: str
    count: int = 1
    within_s: float = 60.0
    service: str | None = None
    keep_firing_for: float = 0.0
    repeat: float = DEFAULT_REPEAT

    def condition(self) -> str:
        """What the rule watches, e.g. "5 lines matching 'Traceback' within 1m"."""
        where = f" of {self.service}" if self.service else ""
        lines = "1 line" if self.count == 1 else f"{self.count} lines"
        return f"{lines}{where} matching {self.pattern!r} within {_duration(self.within_s)}"


AlertRule = MetricAlert | LogAlert

# Alerts every environment has without a word of config. A manifest's alert of the same name
# replaces one; `[[alerts]] name = "low-disk"  enabled = false` turns one off.
BUILTIN_ALERTS: tuple[MetricAlert, ...] = (
    MetricAlert("crash-loop", AlertMetric.CRASHES, 2),  # a 3rd crash within 5 minutes
    MetricAlert("failing-health", AlertMetric.HEALTH_REPLACEMENTS, 0),
    MetricAlert("low-disk", AlertMetric.DISK_FREE, 0.10, above=False, for_s=60.0),
    MetricAlert("autoscale-capped", AlertMetric.AUTOSCALE_CAPPED, 0),
)
BACKUP_FAILED = "backup-failed"  # the backups themselves post it, with the reason, at once
BUILTIN_NAMES = frozenset({*(rule.name for rule in BUILTIN_ALERTS), BACKUP_FAILED})


def with_builtins(rules: Sequence[AlertRule], off: frozenset[str]) -> tuple[AlertRule, ...]:
    """An environment's rules: its own, then each built-in it neither replaces nor turns off."""
    named = {rule.name for rule in rules} | off
    return (*rules, *(rule for rule in BUILTIN_ALERTS if rule.name not in named))


@dataclass(frozen=True)
class Datapoint:
    """One figure at `at` (wall-clock seconds). For a metric alert, the metric's value, None when
    there is none (no requests in the window); for a log alert, the number of matching lines."""

    at: float
    value: float | None


@dataclass(frozen=True)
class AlertStatus:
    """Where one rule stands between evaluations; the caller keeps it (across restarts too).

    `AlertStatus()` is a rule never evaluated. Times are wall-clock seconds."""

    state: AlertState = AlertState.OK
    since: float | None = None  # when it entered `state`
    value: float | None = None  # the last figure: the metric's value, or the lines in `within`
    episode_start: float | None = None  # pending/firing: when the condition began to hold
    last_notified: float | None = None  # firing: when the fire notice or last reminder went out
    clear_since: float | None = None  # firing: the condition cleared then (keep_firing_for)
    last_point_at: float | None = None  # the newest datapoint taken in; older ones are skipped
    recent: tuple[Datapoint, ...] = ()  # the last datapoints (log: counts per evaluation)
    matches: tuple[Datapoint, ...] = ()  # log alerts: matching lines still inside `within`

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, for the caller's store; `from_dict` reads it back."""
        return {
            **{key: getattr(self, key) for key in _SCALAR_FIELDS},
            "state": self.state.value,
            "recent": [[p.at, p.value] for p in self.recent],
            "matches": [[p.at, p.value] for p in self.matches],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertStatus:
        return cls(
            state=AlertState(data["state"]),
            recent=tuple(Datapoint(at, value) for at, value in data.get("recent", ())),
            matches=tuple(Datapoint(at, value) for at, value in data.get("matches", ())),
            **{key: data.get(key) for key in _SCALAR_FIELDS},
        )


_SCALAR_FIELDS = (
    "since",
    "value",
    "episode_start",
    "last_notified",
    "clear_since",
    "last_point_at",
)


class NoticeKind(StrEnum):
    FIRE = "fire"  # the episode's one firing notice
    REPEAT = "repeat"  # still firing, `repeat` after the last notice
    RESOLVE = "resolve"  # the episode's one resolution notice


@dataclass(frozen=True)
class AlertNotice:
    """A message to send, with the figures that drove it."""

    kind: NoticeKind
    rule: AlertRule
    at: float  # when it happened: the datapoint's time, or the evaluation's
    value: float | None  # the metric's value, or the matching lines within `within`
    threshold: float  # the metric's threshold, or the log alert's count
    episode_start: float  # when the condition began to hold
    recent: tuple[float | None, ...] = ()  # the last values, oldest first (None: no data)

    def figure(self) -> str:
        """The value as people read it: "812ms", "2.5%", "7 lines"."""
        if self.value is None:
            return "no data"
        if isinstance(self.rule, LogAlert):
            return f"{self.value:g} lines"
        return self.rule.metric.show(self.value)

    def summary(self) -> str:
        """One line: "slow firing: p95_ms above 500ms for 5m (now 812ms) ▁▂▅█"."""
        verb = {NoticeKind.FIRE: "firing", NoticeKind.REPEAT: "still firing"}
        lasted = _duration(max(self.at - self.episode_start, 0.0))
        state = verb.get(self.kind, f"resolved after {lasted}")
        line = f"{self.rule.name} {state}: {self.rule.condition()} (now {self.figure()})"
        spark = sparkline(self.recent)
        return f"{line} {spark}" if spark else line


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """A bar per value, scaled between the lowest and highest; a space for no data."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    last = len(_BARS) - 1
    return "".join(" " if v is None else _BARS[round((v - low) / span * last)] for v in values)


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
