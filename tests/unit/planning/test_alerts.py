"""Alert evaluation, datapoint by datapoint on a manual clock: states, the notices each step
sends and the figures they carry."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from launchdeck.domain.alerts import (
    SUMMARY_POINTS,
    AlertMetric,
    AlertNotice,
    AlertRule,
    AlertState,
    AlertStatus,
    Datapoint,
    LogAlert,
    MetricAlert,
    NoticeKind,
    sparkline,
)
from launchdeck.planning import Evaluation, evaluate
from tests.clock import ManualClock

OK, PENDING, FIRING, RESOLVED = (
    AlertState.OK,
    AlertState.PENDING,
    AlertState.FIRING,
    AlertState.RESOLVED,
)
FIRE, REPEAT, RESOLVE = NoticeKind.FIRE, NoticeKind.REPEAT, NoticeKind.RESOLVE
SLOW = MetricAlert("slow", AlertMetric.P95_MS, 500.0, for_s=30.0)
AT_ONCE = MetricAlert("slow", AlertMetric.P95_MS, 500.0)
HI, LO = 900.0, 100.0  # a breaching and a healthy p95


class Watch:
    """One rule evaluated every 10 s, one datapoint each, as the control plane does."""

    def __init__(self, rule: AlertRule, status: AlertStatus | None = None) -> None:
        self.rule = rule
        self.status = status or AlertStatus()
        self.clock = ManualClock(start=1000.0)
        self.sent: list[AlertNotice] = []

    def step(self, value: float | None) -> Evaluation:
        """One evaluation with one datapoint at the current time, then 10 s pass."""
        now = self.clock.now()
        return self.evaluate([Datapoint(now, value)], now)

    def evaluate(self, points: Sequence[Datapoint], now: float) -> Evaluation:
        result = evaluate(self.rule, self.status, points, now)
        self.status = result.status
        self.sent += result.notices
        self.clock.advance(10.0)
        return result

    def feed(self, values: Sequence[float | None]) -> list[AlertState]:
        return [self.step(value).status.state for value in values]

    def kinds(self) -> list[tuple[NoticeKind, float]]:
        return [(notice.kind, notice.at) for notice in self.sent]


# -- ok, pending, firing, resolved ------------------------------------------------------------


def test_healthy_datapoints_stay_ok_and_send_nothing() -> None:
    watch = Watch(SLOW)
    assert watch.feed([LO, LO, LO]) == [OK, OK, OK]
    assert watch.sent == []
    assert watch.status.since == 1000.0  # ok since the first evaluation
    assert watch.status.value == LO


def test_pending_while_it_breaches_then_firing_once_it_held_for_for() -> None:
    watch = Watch(SLOW)  # for 30 s: the breach at 1000 has held for 30 s at 1030
    assert watch.feed([HI, HI, HI, HI]) == [PENDING, PENDING, PENDING, FIRING]
    assert watch.kinds() == [(FIRE, 1030.0)]
    assert watch.status.episode_start == 1000.0
    assert watch.status.since == 1030.0


def test_the_fire_notice_carries_the_figures_that_drove_it() -> None:
    watch = Watch(SLOW)
    watch.feed([LO, 600.0, 700.0, 800.0, 812.0])
    [notice] = watch.sent
    assert notice == AlertNotice(
        kind=FIRE,
        rule=SLOW,
        at=1040.0,
        value=812.0,
        threshold=500.0,
        episode_start=1010.0,
        recent=(LO, 600.0, 700.0, 800.0, 812.0),
    )
    assert notice.summary() == ("slow firing: p95_ms above 500ms for 30s (now 812ms) ▁▆▇██")


def test_without_for_the_first_breaching_datapoint_fires() -> None:
    watch = Watch(AT_ONCE)
    assert watch.feed([LO, HI]) == [OK, FIRING]
    assert watch.kinds() == [(FIRE, 1010.0)]


def test_an_alert_fires_once_per_episode() -> None:
    watch = Watch(AT_ONCE)
    watch.feed([HI] * 360)  # an hour of breaching, well inside the 4 h repeat
    assert watch.kinds() == [(FIRE, 1000.0)]


def test_pending_that_clears_goes_back_to_ok_silently_and_for_starts_over() -> None:
    watch = Watch(SLOW)
    assert watch.feed([HI, HI, LO, HI, HI, HI]) == [PENDING, PENDING, OK, PENDING, PENDING, PENDING]
    assert watch.sent == []
    assert watch.status.episode_start == 1030.0
    assert watch.feed([HI]) == [FIRING]  # 1060: held 30 s since 1030


def test_a_clearing_datapoint_resolves_with_one_notice_then_ok() -> None:
    watch = Watch(AT_ONCE)
    assert watch.feed([HI, HI, LO, LO, LO]) == [FIRING, FIRING, RESOLVED, OK, OK]
    assert watch.kinds() == [(FIRE, 1000.0), (RESOLVE, 1020.0)]
    resolve = watch.sent[-1]
    assert (resolve.value, resolve.episode_start) == (LO, 1000.0)
    assert resolve.summary() == "slow resolved after 20s: p95_ms above 500ms (now 100ms) ██▁"


def test_a_new_episode_after_resolving_fires_again() -> None:
    watch = Watch(AT_ONCE)
    watch.feed([HI, LO, LO, HI])
    assert watch.kinds() == [(FIRE, 1000.0), (RESOLVE, 1010.0), (FIRE, 1030.0)]


def test_resolved_that_breaches_again_at_once_starts_a_new_episode() -> None:
    watch = Watch(SLOW)
    watch.feed([HI, HI, HI, HI, LO])
    assert watch.status.state is RESOLVED
    assert watch.feed([HI]) == [PENDING]
    assert watch.status.episode_start == 1050.0


# -- no data, below ----------------------------------------------------------------------------


def test_no_data_does_not_breach() -> None:
    watch = Watch(SLOW)
    assert watch.feed([HI, None]) == [PENDING, OK]
    assert watch.status.value is None
    assert watch.feed([HI]) == [PENDING]
    assert watch.status.episode_start == 1020.0


def test_no_data_clears_a_firing_alert() -> None:
    watch = Watch(AT_ONCE)
    assert watch.feed([HI, None]) == [FIRING, RESOLVED]
    assert watch.sent[-1].figure() == "no data"


def test_below_breaches_under_the_threshold_and_no_data_is_not_below() -> None:
    idle = MetricAlert("idle", AlertMetric.REQUESTS_PER_S, 1.0, above=False)
    watch = Watch(idle)
    assert watch.feed([5.0, 0.5, None, 1.0, 0.0]) == [OK, FIRING, RESOLVED, OK, FIRING]
    assert watch.sent[0].summary() == "idle firing: requests_per_s below 1/s (now 0.5/s) █▁"


def test_the_threshold_itself_does_not_breach() -> None:
    watch = Watch(AT_ONCE)
    assert watch.feed([500.0]) == [OK]


# -- M of N ------------------------------------------------------------------------------------


def test_datapoints_fire_when_m_of_the_last_n_breach() -> None:
    rule = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02, datapoints=(3, 5))
    watch = Watch(rule)
    states = watch.feed([0.05, 0.0, 0.05, 0.0, 0.05])
    assert states == [PENDING, PENDING, PENDING, PENDING, FIRING]
    assert watch.kinds() == [(FIRE, 1040.0)]
    assert watch.status.episode_start == 1000.0


def test_datapoints_resolve_when_fewer_than_m_of_the_last_n_breach() -> None:
    rule = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02, datapoints=(3, 5))
    watch = Watch(rule)
    # fires at the third; the last 5 hold 3 breaches until the third healthy point
    states = watch.feed([0.05, 0.05, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert states == [PENDING, PENDING, FIRING, FIRING, FIRING, RESOLVED, OK, OK, OK]
    assert watch.kinds() == [(FIRE, 1020.0), (RESOLVE, 1050.0)]


def test_datapoints_after_resolving_are_ok_until_a_new_breach() -> None:
    rule = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02, datapoints=(3, 4))
    watch = Watch(rule)
    states = watch.feed([0.05, 0.05, 0.05, 0.0, 0.0, 0.0])
    assert states == [PENDING, PENDING, FIRING, FIRING, RESOLVED, OK]  # a breach is still in
    assert watch.feed([0.05]) == [PENDING]  # the window at 1050, yet the episode is over


def test_datapoints_pending_with_no_breach_left_in_the_window_is_ok() -> None:
    rule = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02, datapoints=(2, 3))
    watch = Watch(rule)
    assert watch.feed([0.05, 0.0, 0.0, 0.0]) == [PENDING, PENDING, PENDING, OK]
    assert watch.sent == []


def test_datapoints_count_no_data_as_not_breaching() -> None:
    rule = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02, datapoints=(2, 2))
    watch = Watch(rule)
    assert watch.feed([0.05, None, 0.05, 0.05]) == [PENDING, PENDING, PENDING, FIRING]


def test_the_status_keeps_enough_datapoints_for_a_long_window() -> None:
    rule = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02, datapoints=(40, 60))
    watch = Watch(rule)
    watch.feed([0.05] * 20 + [0.0] * 20 + [0.05] * 19)
    assert watch.status.state is PENDING  # 39 of the last 59
    assert watch.feed([0.05]) == [FIRING]  # 40 of the last 60
    assert len(watch.status.recent) == 60
    assert len(watch.sent[0].recent) == SUMMARY_POINTS


# -- keep_firing_for, repeat ---------------------------------------------------------------------


def test_keep_firing_for_holds_an_episode_through_a_flap() -> None:
    rule = MetricAlert("slow", AlertMetric.P95_MS, 500.0, keep_firing_for=60.0)
    watch = Watch(rule)
    states = watch.feed([HI, LO, LO, HI, LO, LO, LO, LO, LO, LO, LO])
    assert states[:4] == [FIRING] * 4  # the dip at 1010-1020 stays in the episode
    assert states[4:] == [FIRING] * 6 + [RESOLVED]  # clear since 1040, resolved at 1100
    assert watch.kinds() == [(FIRE, 1000.0), (RESOLVE, 1100.0)]


def test_keep_firing_for_runs_out_without_new_datapoints() -> None:
    rule = MetricAlert("slow", AlertMetric.P95_MS, 500.0, keep_firing_for=60.0)
    watch = Watch(rule)
    watch.feed([HI, LO])  # clear since 1010
    assert watch.evaluate([], now=1060.0).status.state is FIRING
    result = watch.evaluate([], now=1070.0)
    assert result.status.state is RESOLVED
    assert [(n.kind, n.at) for n in result.notices] == [(RESOLVE, 1070.0)]


def test_reminders_come_at_most_every_repeat() -> None:
    rule = MetricAlert("slow", AlertMetric.P95_MS, 500.0, repeat=60.0)
    watch = Watch(rule)
    watch.feed([HI] * 19)  # 1000 .. 1180
    assert watch.kinds() == [(FIRE, 1000.0), (REPEAT, 1060.0), (REPEAT, 1120.0), (REPEAT, 1180.0)]
    repeat = watch.sent[1]
    assert (repeat.value, repeat.episode_start) == (HI, 1000.0)
    assert repeat.summary().startswith("slow still firing: p95_ms above 500ms (now 900ms)")


def test_no_reminder_while_keep_firing_for_runs() -> None:
    rule = MetricAlert("slow", AlertMetric.P95_MS, 500.0, repeat=60.0, keep_firing_for=120.0)
    watch = Watch(rule)
    watch.feed([HI, HI, HI, LO, LO, LO, LO, LO, LO, LO])  # clear since 1030, repeat due at 1060
    assert watch.kinds() == [(FIRE, 1000.0)]


def test_the_repeat_clock_starts_when_the_notice_goes_out() -> None:
    # a backlog of datapoints: the fire notice is about 1000 but goes out at 1100
    rule = MetricAlert("slow", AlertMetric.P95_MS, 500.0, repeat=60.0)
    points = [Datapoint(1000.0 + 10 * i, HI) for i in range(11)]
    result = evaluate(rule, AlertStatus(), points, 1100.0)
    assert [(n.kind, n.at) for n in result.notices] == [(FIRE, 1000.0)]
    assert result.status.last_notified == 1100.0


# -- restarts and overlapping windows ------------------------------------------------------------


def test_a_firing_status_from_before_a_restart_does_not_fire_again() -> None:
    watch = Watch(AT_ONCE)
    watch.feed([HI, HI])
    stored = watch.status.to_dict()  # the control plane keeps it, then restarts
    again = Watch(AT_ONCE, AlertStatus.from_dict(stored))
    again.clock.t = 1300.0
    assert again.feed([HI, HI, HI]) == [FIRING] * 3
    assert again.sent == []


def test_a_firing_status_with_no_notice_on_record_does_not_fire_either() -> None:
    status = AlertStatus(state=FIRING)
    result = evaluate(AT_ONCE, status, [Datapoint(1000.0, HI)], 1000.0)
    assert result.notices == ()
    assert result.status.last_notified == 1000.0


def test_the_status_round_trips_through_plain_data() -> None:
    rule = LogAlert("tracebacks", "Traceback", count=2)
    status = evaluate(rule, AlertStatus(), [Datapoint(995.0, 1), Datapoint(999.0, 2)], 1000.0)
    data = status.status.to_dict()
    assert data["state"] == "firing"
    assert data["matches"] == [[995.0, 1], [999.0, 2]]
    assert AlertStatus.from_dict(data) == status.status


def test_datapoints_already_taken_in_are_skipped() -> None:
    points = [Datapoint(1000.0, HI), Datapoint(1010.0, HI)]
    first = evaluate(SLOW, AlertStatus(), points, 1010.0)
    again = evaluate(SLOW, first.status, [*points, Datapoint(1020.0, HI)], 1020.0)
    assert [p.at for p in again.status.recent] == [1000.0, 1010.0, 1020.0]
    assert again.status.state is PENDING
    assert again.status.last_point_at == 1020.0


def test_datapoints_in_one_call_are_taken_in_time_order() -> None:
    points = [
        Datapoint(1030.0, HI),
        Datapoint(1000.0, HI),
        Datapoint(1020.0, HI),
        Datapoint(1010.0, HI),
    ]
    result = evaluate(SLOW, AlertStatus(), points, 1030.0)
    assert [(n.kind, n.at) for n in result.notices] == [(FIRE, 1030.0)]
    assert result.status.episode_start == 1000.0


def test_one_call_can_fire_and_resolve() -> None:
    points = [Datapoint(1000.0, HI), Datapoint(1010.0, LO)]
    result = evaluate(AT_ONCE, AlertStatus(), points, 1010.0)
    assert [(n.kind, n.at) for n in result.notices] == [(FIRE, 1000.0), (RESOLVE, 1010.0)]


# -- log alerts --------------------------------------------------------------------------------


TRACEBACKS = LogAlert("tracebacks", "Traceback|CRITICAL", count=5, within_s=60.0)


def lines(*times: float) -> list[Datapoint]:
    return [Datapoint(at, 1) for at in times]


def test_a_log_alert_fires_once_count_lines_match_within_the_window() -> None:
    watch = Watch(TRACEBACKS)
    assert watch.evaluate(lines(995, 996, 997, 998), now=1000.0).status.state is OK
    result = watch.evaluate(lines(1005), now=1010.0)
    assert result.status.state is FIRING
    [notice] = result.notices
    assert (notice.kind, notice.value, notice.threshold) == (FIRE, 5, 5)
    assert notice.summary() == (
        "tracebacks firing: 5 lines matching 'Traceback|CRITICAL' within 1m (now 5 lines) ▁█"
    )


def test_a_log_alert_counts_batches_of_lines() -> None:
    result = evaluate(TRACEBACKS, AlertStatus(), [Datapoint(999.0, 3), Datapoint(999.5, 2)], 1000.0)
    assert result.status.state is FIRING


def test_lines_older_than_the_window_do_not_count_and_are_dropped() -> None:
    watch = Watch(TRACEBACKS)
    watch.evaluate(lines(900, 901, 902, 990), now=1000.0)  # 900-902 are over a minute old
    assert watch.status.state is OK
    assert [p.at for p in watch.status.matches] == [990]
    assert watch.status.value == 1


def test_a_log_alert_resolves_when_the_lines_age_out_of_the_window() -> None:
    watch = Watch(TRACEBACKS)
    watch.evaluate(lines(1000, 1001, 1002, 1003, 1004), now=1010.0)
    assert watch.evaluate([], now=1020.0).status.state is FIRING
    assert watch.evaluate([], now=1059.0).status.state is FIRING  # 1000 is still inside
    result = watch.evaluate([], now=1060.0)  # (1000, 1060]: 4 lines
    assert result.status.state is RESOLVED
    assert [(n.kind, n.value) for n in result.notices] == [(RESOLVE, 4)]
    assert watch.evaluate([], now=1070.0).status.state is OK


def test_a_log_alert_keeps_firing_for_and_repeats() -> None:
    rule = LogAlert(
        "tracebacks", "Traceback", count=1, within_s=10.0, keep_firing_for=30.0, repeat=60.0
    )
    watch = Watch(rule)
    for now in (1000.0, 1010.0, 1020.0, 1030.0, 1040.0, 1050.0, 1060.0):
        watch.evaluate(lines(now - 1), now=now)
    assert watch.kinds() == [(FIRE, 1000.0), (REPEAT, 1060.0)]
    for now in (1070.0, 1080.0, 1090.0):
        watch.evaluate([], now=now)  # clear since 1070
    assert watch.status.state is FIRING
    watch.evaluate([], now=1100.0)
    assert watch.kinds()[-1] == (RESOLVE, 1100.0)


def test_a_firing_log_alert_given_back_after_a_restart_does_not_fire_again() -> None:
    watch = Watch(TRACEBACKS)
    watch.evaluate(lines(1000, 1001, 1002, 1003, 1004), now=1005.0)
    restarted = AlertStatus.from_dict(watch.status.to_dict())
    result = evaluate(TRACEBACKS, restarted, lines(1010, 1011), 1015.0)
    assert (result.status.state, result.notices) == (FIRING, ())


# -- the figures as people read them ------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "value", "shown"),
    [
        (AlertMetric.ERROR_RATE, 0.025, "2.5%"),
        (AlertMetric.MEMORY, 0.9, "90%"),
        (AlertMetric.CPU, 1.5, "150%"),
        (AlertMetric.P95_MS, 812.4, "812ms"),
        (AlertMetric.P50_MS, 1.25, "1.25ms"),
        (AlertMetric.REQUESTS_PER_S, 1234.567, "1234.57/s"),
    ],
)
def test_metric_values_are_shown_in_their_unit(
    metric: AlertMetric, value: float, shown: str
) -> None:
    assert metric.show(value) == shown


def test_conditions_read_as_the_manifest_wrote_them() -> None:
    rule = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02, datapoints=(3, 5), service="web")
    assert rule.condition() == "error_rate of web above 2% in 3 of 5 datapoints"
    assert MetricAlert("x", AlertMetric.MEMORY, 0.9, for_s=300.0).condition() == (
        "memory above 90% for 5m"
    )
    assert LogAlert("x", "OOM", service="worker").condition() == (
        "1 line of worker matching 'OOM' within 1m"
    )


def test_sparkline_scales_between_the_lowest_and_highest_value() -> None:
    assert sparkline([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]) == "▁▂▃▄▅▆▇█"
    assert sparkline([3.0, None, 3.0]) == "▁ ▁"
    assert sparkline([None, None]) == ""
    assert sparkline([]) == ""
