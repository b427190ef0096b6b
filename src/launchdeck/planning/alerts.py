"""Alert evaluation as data: a rule, where it stood, the new datapoints and the time -> where it
stands now and the notices to send.

The control plane calls `evaluate` every EVALUATION_INTERVAL for each rule of each environment,
keeps the returned status (across restarts too) and sends the notices. The rules:

- a datapoint breaches when its value is above (below) the threshold; no data never breaches;
- a metric alert's condition holds once every datapoint breached for `for_s` (without one: at
  the first breaching datapoint); with `datapoints` (M, N), once M of the last N breach: it is
  pending from a breaching datapoint while one is among the last N, and clears when fewer
  than M are;
- a log alert's condition holds while `count` matching lines fall within `within_s` of `now`;
- ok -> pending when the condition starts to hold, pending -> firing when it held long enough
  (one FIRE notice: once per episode), pending -> ok silently when it clears first;
- firing -> resolved (one RESOLVE notice) once the condition has been clear for
  `keep_firing_for`; resolved -> ok at the next evaluation that does not breach;
- while firing, a REPEAT notice at most every `repeat` seconds, none while clearing;
- a status given as firing stays firing without a new FIRE notice: a restart never fires
  again (a reminder still comes when `repeat` is due).

Datapoints at or before the status's `last_point_at` were taken in already and are skipped, so
the caller may hand in an overlapping window. Matching log lines are counted as given.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace

from launchdeck.domain.alerts import (
    SUMMARY_POINTS,
    AlertNotice,
    AlertRule,
    AlertState,
    AlertStatus,
    Datapoint,
    LogAlert,
    MetricAlert,
    NoticeKind,
)

_EPSILON = 1e-6  # datapoint times are floats: 10 points 10 s apart are "for 90s"
_OK, _PENDING, _FIRING, _RESOLVED = (
    AlertState.OK,
    AlertState.PENDING,
    AlertState.FIRING,
    AlertState.RESOLVED,
)


@dataclass(frozen=True)
class Evaluation:
    status: AlertStatus
    notices: tuple[AlertNotice, ...] = ()


class _Verdict(enum.Enum):
    """What one evaluation found."""

    HOLDS = "holds"  # the condition holds (long enough to fire, or the alert is firing)
    STARTING = "starting"  # breaching, not yet long enough
    CLEAR = "clear"


def evaluate(
    rule: AlertRule, status: AlertStatus, points: Sequence[Datapoint], now: float
) -> Evaluation:
    """`status` moved on by `points` (metric values, or matching log lines) and the time `now`."""
    step = _Step(rule, status, now)
    if isinstance(rule, MetricAlert):
        for point in sorted(points, key=lambda p: p.at):
            if status.last_point_at is None or point.at > status.last_point_at:
                step.take(point)
    else:
        step.count_lines(points)
    step.tick()
    return Evaluation(step.status, tuple(step.notices))


class _Step:
    """One evaluation under way: the status so far and the notices it produced."""

    def __init__(self, rule: AlertRule, status: AlertStatus, now: float) -> None:
        self.rule = rule
        self.status = status
        self.now = now  # notices go out now, whichever datapoint they are about
        self.notices: list[AlertNotice] = []

    def take(self, point: Datapoint) -> None:
        """One metric datapoint, evaluated at its own time."""
        assert isinstance(self.rule, MetricAlert)
        keep = max(SUMMARY_POINTS, self.rule.datapoints[1] if self.rule.datapoints else 0)
        self.status = replace(
            self.status,
            value=point.value,
            last_point_at=point.at,
            recent=(*self.status.recent, point)[-keep:],
        )
        self._advance(point.at, _metric_verdict(self.rule, self.status, point))

    def count_lines(self, lines: Sequence[Datapoint]) -> None:
        """A log alert's one evaluation, now: the matching lines within its window."""
        assert isinstance(self.rule, LogAlert)
        now = self.now
        start = now - self.rule.within_s
        inside = tuple(p for p in (*self.status.matches, *lines) if p.at > start)
        count = sum(p.value or 0 for p in inside)
        self.status = replace(
            self.status,
            value=count,
            matches=inside,
            recent=(*self.status.recent, Datapoint(now, count))[-SUMMARY_POINTS:],
        )
        self._advance(now, _Verdict.HOLDS if count >= self.rule.count else _Verdict.CLEAR)

    def tick(self) -> None:
        """What time alone does: keep_firing_for runs out, a reminder falls due."""
        s, now = self.status, self.now
        if s.state is not _FIRING:
            return
        if s.clear_since is not None:
            if now - s.clear_since >= self.rule.keep_firing_for - _EPSILON:
                self._resolve(now)
            return
        last = s.last_notified if s.last_notified is not None else s.since
        if last is None:  # a firing status from elsewhere, with no notice on record
            self.status = replace(s, last_notified=now)
        elif now - last >= self.rule.repeat - _EPSILON:
            self.status = replace(s, last_notified=now)
            self._notify(NoticeKind.REPEAT, now)

    def _advance(self, at: float, verdict: _Verdict) -> None:
        s = self.status
        if s.state is _FIRING:
            self._while_firing(at, verdict)
        elif verdict is _Verdict.HOLDS:
            episode = s.episode_start if s.state is _PENDING else None
            self.status = replace(
                s,
                state=_FIRING,
                since=at,
                episode_start=at if episode is None else episode,
                last_notified=self.now,
                clear_since=None,
            )
            self._notify(NoticeKind.FIRE, at)
        elif verdict is _Verdict.STARTING and s.state is not _PENDING:
            self.status = replace(s, state=_PENDING, since=at, episode_start=at)
        elif verdict is _Verdict.CLEAR and s.state is not _OK:
            self.status = replace(s, state=_OK, since=at, episode_start=None)
        elif s.since is None:
            self.status = replace(s, since=at)  # the first evaluation of an ok rule

    def _while_firing(self, at: float, verdict: _Verdict) -> None:
        s = self.status
        if verdict is not _Verdict.CLEAR:
            self.status = replace(s, clear_since=None)
            return
        clear_since = at if s.clear_since is None else s.clear_since
        self.status = replace(s, clear_since=clear_since)
        if at - clear_since >= self.rule.keep_firing_for - _EPSILON:
            self._resolve(at)

    def _resolve(self, at: float) -> None:
        self._notify(NoticeKind.RESOLVE, at)
        self.status = replace(self.status, state=_RESOLVED, since=at, clear_since=None)

    def _notify(self, kind: NoticeKind, at: float) -> None:
        s = self.status
        self.notices.append(
            AlertNotice(
                kind=kind,
                rule=self.rule,
                at=at,
                value=s.value,
                threshold=self.rule.threshold
                if isinstance(self.rule, MetricAlert)
                else self.rule.count,
                episode_start=at if s.episode_start is None else s.episode_start,
                recent=tuple(p.value for p in s.recent[-SUMMARY_POINTS:]),
            )
        )


def _metric_verdict(rule: MetricAlert, status: AlertStatus, point: Datapoint) -> _Verdict:
    """The verdict at `point`, which `status.recent` already ends with."""
    if rule.datapoints is not None:
        needed, window = rule.datapoints
        hits = sum(rule.breaches(p.value) for p in status.recent[-window:])
        if hits >= needed:
            return _Verdict.HOLDS
        if status.state is _FIRING:
            return _Verdict.CLEAR  # fewer than M breach, even if some still do
        # an episode starts with a breaching datapoint and lasts while one is in the window
        started = status.state is _PENDING or rule.breaches(point.value)
        return _Verdict.STARTING if hits and started else _Verdict.CLEAR
    if not rule.breaches(point.value):
        return _Verdict.CLEAR
    if status.state is _FIRING:
        return _Verdict.HOLDS
    start = status.episode_start if status.state is _PENDING else None
    held = point.at - (point.at if start is None else start)
    return _Verdict.HOLDS if held >= rule.for_s - _EPSILON else _Verdict.STARTING
