"""Alerts, every 10 s after the metrics pass: each environment's rules (its running release's
`[[alerts]]`) are evaluated (planning.alerts) on the datapoints since the last evaluation; what
they decide is posted to the `[notify]` webhooks and kept, with the status of every rule, in
metrics.db, so a control-plane restart neither forgets a firing alert nor fires it again.

Each environment has the built-in alerts too (domain.alerts.BUILTIN_ALERTS: crash loop, instances
replaced for failing health, add-on disk nearly full) unless its release replaces or turns them off.

A metric rule's datapoint is one 10 s window: requests/s, error rate (5xx / requests), a latency
percentile of the window's merged buckets, CPU averaged over the service's instances; any other
gauge at its worst over the series watched (the fullest memory, the most crashes, the least free
disk). A window without requests (or samples) is "no data", which never breaches. A log rule
counts the lines matching its pattern since the last evaluation.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from launchdeck.controlplane.logs.patterns import MATCH_TIMEOUT, compile_pattern, found_in
from launchdeck.controlplane.logs.store import LogStore
from launchdeck.controlplane.metrics.store import STEPS, GaugePoint, MetricsStore, RequestPoint
from launchdeck.controlplane.notify import Notifier
from launchdeck.controlplane.store import Store
from launchdeck.domain import Release
from launchdeck.domain.alerts import (
    AlertMetric,
    AlertNotice,
    AlertRule,
    AlertStatus,
    Datapoint,
    LogAlert,
    MetricAlert,
    NoticeKind,
    with_builtins,
)
from launchdeck.domain.metrics import merged, quantile
from launchdeck.planning import evaluate
from launchdeck.system import SYSTEM_CLOCK, Clock

log = logging.getLogger("launchdeck.alerts")

WINDOW = STEPS[0]
LOOKBACK = 600.0  # seconds of windows a first evaluation (or one after a pause) looks at
EMOJI = {NoticeKind.FIRE: ":rotating_light:", NoticeKind.REPEAT: ":rotating_light:"}
QUANTILES = {AlertMetric.P50_MS: 0.50, AlertMetric.P95_MS: 0.95, AlertMetric.P99_MS: 0.99}

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_status (
    app TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
    PRIMARY KEY (app, env, name)
);
CREATE TABLE IF NOT EXISTS alert_history (
    app TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL, at REAL NOT NULL,
    kind TEXT NOT NULL, summary TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_history_by_env ON alert_history (app, env, at);
"""


@dataclass(frozen=True)
class AlertMessage:
    """A notice as Slack (or any webhook taking `text` and `blocks`) shows it."""

    app: str
    env: str
    release: str
    notice: AlertNotice

    def payload(self) -> dict[str, Any]:
        resolved = self.notice.kind == NoticeKind.RESOLVE
        emoji = ":white_check_mark:" if resolved else EMOJI[self.notice.kind]
        text = f"{emoji} {self.app}/{self.env}: {self.notice.summary()}"
        look = f"launchdeck metrics --app {self.app} --env {self.env} --since 1h"
        if isinstance(self.notice.rule, MetricAlert) and self.notice.rule.metric.counted:
            look = f"launchdeck logs --app {self.app} --env {self.env}"
        if isinstance(self.notice.rule, LogAlert):
            pattern = self.notice.rule.pattern.replace("'", "'\\''")
            look = f"launchdeck logs --app {self.app} --env {self.env} --grep '{pattern}'"
        return {
            "text": text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": f"release `{self.release}` · look: `{look}`"}
                    ],
                },
            ],
        }


class Alerting:
    def __init__(
        self,
        metrics: MetricsStore,
        state: Store,
        logs: LogStore,
        notifier: Notifier,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.metrics, self.state, self.logs, self.notifier = metrics, state, logs, notifier
        self.clock = clock
        self._log_offsets: dict[tuple[str, str], int] = {}
        self.metrics.add_schema(SCHEMA)

    def evaluate_all(self, now: float) -> None:
        """One evaluation of every environment's rules; a failing rule does not stop the rest."""
        for app, _ in self.state.apps():
            for env in self.state.envs(app):
                release = self.state.release(app, env.name, env.release) if env.release else None
                if release is None:
                    continue
                rules = rules_of(release)
                lines = self._new_lines(release) if _has_log_rules(rules) else []
                for rule in rules:
                    try:
                        self._evaluate(release, rule, now, env.config, lines)
                    except Exception:
                        log.exception("alert %s of %s/%s failed", rule.name, app, env.name)
                self._forget_removed(app, env.name, {r.name for r in rules})

    def _evaluate(
        self,
        release: Release,
        rule: AlertRule,
        now: float,
        config: dict[str, str],
        lines: list[dict[str, object]],
    ) -> None:
        status = self.status(release.app, release.env, rule.name)
        if isinstance(rule, MetricAlert):
            points = self._metric_points(release, rule, status, now)
        else:
            points = _log_points(rule, status, lines)
        result = evaluate(rule, status, points, now)
        with self.metrics.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO alert_status VALUES (?, ?, ?, ?)",
                (release.app, release.env, rule.name, json.dumps(result.status.to_dict())),
            )
            for notice in result.notices:
                db.execute(
                    "INSERT INTO alert_history VALUES (?, ?, ?, ?, ?, ?)",
                    (release.app, release.env, rule.name, notice.at, notice.kind.value,
                     notice.summary()),
                )  # fmt: skip
        for notice in result.notices:
            message = AlertMessage(release.app, release.env, release.name, notice)
            self.notifier.send(release.notify.urls_for_alerts(config), message)

    def _new_lines(self, release: Release) -> list[dict[str, object]]:
        """The environment's log lines written since the last evaluation (at the first, all of
        them: the rules' windows pick what counts)."""
        key = (release.app, release.env)
        lines, self._log_offsets[key] = self.logs.read_from(*key, self._log_offsets.get(key, 0))
        return lines

    # -- datapoints --------------------------------------------------------------------------------

    def _metric_points(
        self, release: Release, rule: MetricAlert, status: AlertStatus, now: float
    ) -> list[Datapoint]:
        """One datapoint per finished 10 s window since the last one evaluated."""
        last = int(now // WINDOW * WINDOW) - WINDOW  # the newest finished window
        first = max(
            int((now - _lookback(rule)) // WINDOW * WINDOW), int(status.last_point_at or 0) + WINDOW
        )
        if first > last:
            return []
        app, env = release.app, release.env
        if not rule.metric.per_request:
            gauges = self.metrics.gauges(app, env, since=first, step=WINDOW, service=rule.service)
            value = _gauge_value(rule, gauges)
        else:
            requests = self.metrics.requests(
                app, env, since=first, step=WINDOW, service=rule.service
            )
            value = _request_value(rule.metric, requests)
        return [Datapoint(float(t), value(t)) for t in range(first, last + 1, WINDOW)]

    # -- statuses and history ----------------------------------------------------------------------

    def note(self, app: str, env: str, name: str, summary: str) -> None:
        """A notice another part of the control plane sent itself (a failed backup), kept in
        the environment's history as a firing one."""
        with self.metrics.transaction() as db:
            db.execute(
                "INSERT INTO alert_history VALUES (?, ?, ?, ?, ?, ?)",
                (app, env, name, self.clock.now(), NoticeKind.FIRE.value, summary),
            )

    def status(self, app: str, env: str, name: str) -> AlertStatus:
        rows = self.metrics.read(
            "SELECT status FROM alert_status WHERE app = ? AND env = ? AND name = ?",
            (app, env, name),
        )
        return AlertStatus.from_dict(json.loads(rows[0][0])) if rows else AlertStatus()

    def statuses(self, app: str, env: str) -> dict[str, AlertStatus]:
        rows = self.metrics.read(
            "SELECT name, status FROM alert_status WHERE app = ? AND env = ?", (app, env)
        )
        return {name: AlertStatus.from_dict(json.loads(status)) for name, status in rows}

    def history(self, app: str, env: str, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.metrics.read(
            "SELECT name, at, kind, summary FROM alert_history WHERE app = ? AND env = ? "
            "ORDER BY at DESC LIMIT ?",
            (app, env, limit),
        )
        return [{"name": n, "at": at, "kind": k, "summary": s} for n, at, k, s in rows]

    def _forget_removed(self, app: str, env: str, names: set[str]) -> None:
        """A rule the running release no longer has stops being tracked."""
        known = self.statuses(app, env)
        gone = [name for name in known if name not in names]
        if gone:
            with self.metrics.transaction() as db:
                db.executemany(
                    "DELETE FROM alert_status WHERE app = ? AND env = ? AND name = ?",
                    [(app, env, name) for name in gone],
                )


def _lookback(rule: MetricAlert) -> float:
    """How far back a first evaluation looks: as far as the rule needs to decide."""
    needed = rule.datapoints[1] * WINDOW if rule.datapoints else rule.for_s + WINDOW
    return min(LOOKBACK, needed)


def rules_of(release: Release) -> tuple[AlertRule, ...]:
    """The rules evaluated for a release: its `[[alerts]]` and the built-ins it keeps."""
    return with_builtins(release.alerts, release.alerts_off)


def _has_log_rules(rules: Iterable[AlertRule]) -> bool:
    return any(isinstance(rule, LogAlert) for rule in rules)


def _log_points(
    rule: LogAlert, status: AlertStatus, lines: Iterable[dict[str, object]]
) -> list[Datapoint]:
    """A datapoint per moment with matching lines (of the rule's service), newer than the last
    one evaluated. The pattern and the lines both come from the app: a search past its time
    limit (controlplane.patterns) stops its own rule for this pass, never the control plane."""
    pattern = compile_pattern(rule.pattern)
    after = status.last_point_at or 0.0
    counts: dict[float, int] = defaultdict(int)
    for entry in lines:
        at = float(str(entry["ts"]))
        if at <= after or (rule.service and entry.get("service") != rule.service):
            continue
        try:
            found = found_in(pattern, str(entry.get("line", "")))
        except TimeoutError:
            log.error("alert %s: its log pattern took over %gs on one line: skipped this pass "
                      "(simplify the pattern)", rule.name, MATCH_TIMEOUT)  # fmt: skip
            break
        if found:
            counts[at] += 1
    return [Datapoint(at, float(n)) for at, n in sorted(counts.items())]


def _request_value(
    metric: AlertMetric, points: Sequence[RequestPoint]
) -> Callable[[int], float | None]:
    by_t: dict[int, list[RequestPoint]] = defaultdict(list)
    for p in points:
        by_t[p.t].append(p)

    def value(t: int) -> float | None:
        window = by_t.get(t, [])
        requests = sum(p.requests for p in window)
        if metric == AlertMetric.REQUESTS_PER_S:
            return requests / WINDOW
        if not requests:
            return None
        if metric == AlertMetric.ERROR_RATE:
            return sum(p.statuses.get("5xx", 0) for p in window) / requests
        return quantile(merged(*(p.total_ms for p in window)), QUANTILES[metric])

    return value


def _gauge_value(rule: MetricAlert, gauges: Sequence[GaugePoint]) -> Callable[[int], float | None]:
    """The metric's gauge (of the same name) per window: CPU averaged, the others at their
    worst for the rule (the highest when it watches for above, else the lowest)."""
    by_t: dict[int, list[float]] = defaultdict(list)
    for g in gauges:
        if g.name == rule.metric.value:
            by_t[g.t].append(g.value)
    worst = max if rule.above else min

    def value(t: int) -> float | None:
        values = by_t.get(t)
        if not values:
            return None
        return sum(values) / len(values) if rule.metric == AlertMetric.CPU else worst(values)

    return value
