"""Five-field cron and `every` as EventBridge Scheduler expressions."""

from __future__ import annotations

import pytest

from launchdeck.domain.jobs import CronJob
from launchdeck.drivers.aws.synth.jobs.expressions import NoEquivalent, cron, expression, rate


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("0 3 * * *", "cron(0 3 * * ? *)"),
        ("*/15 * * * *", "cron(0/15 * * * ? *)"),
        ("5/15 * * * *", "cron(5/15 * * * ? *)"),
        ("0 */2 * * *", "cron(0 0/2 * * ? *)"),
        ("0 0-12/3 * * *", "cron(0 0,3,6,9,12 * * ? *)"),  # a stepped range: its values
        ("*/30 * * * *", "cron(0,30 * * * ? *)"),
        ("0 9-17 * * 1-5", "cron(0 9-17 ? * MON-FRI *)"),
        ("0 0 * * mon-fri", "cron(0 0 ? * MON-FRI *)"),
        ("0 0 * * 0,6", "cron(0 0 ? * SUN,SAT *)"),
        ("0 0 * * 7", "cron(0 0 ? * SUN *)"),  # cron's other Sunday
        ("0 0 * * 5-7", "cron(0 0 ? * SUN,FRI,SAT *)"),
        ("0 0 * * */2", "cron(0 0 ? * SUN,TUE,THU,SAT *)"),
        ("0 0 * * 0-7", "cron(0 0 * * ? *)"),  # every day is no restriction
        ("0 0 * * 5#3", "cron(0 0 ? * 6#3 *)"),  # the third Friday: EventBridge's Sunday is 1
        ("0 0 * * fri#1", "cron(0 0 ? * 6#1 *)"),
        ("0 0 1,15 * *", "cron(0 0 1,15 * ? *)"),
        ("0 0 L * *", "cron(0 0 L * ? *)"),
        ("0 0 15W * *", "cron(0 0 15W * ? *)"),
        ("0 0 * jan-mar *", "cron(0 0 * 1-3 ? *)"),
        ("0 0 ? * *", "cron(0 0 * * ? *)"),
        ("1,2,3,5 * * * *", "cron(1-3,5 * * * ? *)"),
        ("@hourly", "cron(0 * * * ? *)"),
        ("@daily", "cron(0 0 * * ? *)"),
        ("@midnight", "cron(0 0 * * ? *)"),
        ("@weekly", "cron(0 0 ? * SUN *)"),
        ("@monthly", "cron(0 0 1 * ? *)"),
        ("@yearly", "cron(0 0 1 1 ? *)"),
        ("@annually", "cron(0 0 1 1 ? *)"),
    ],
)
def test_cron_gets_six_fields_and_one_question_mark(schedule: str, expected: str) -> None:
    assert cron(schedule) == expected


def test_a_day_of_month_and_a_day_of_week_together_have_no_equivalent() -> None:
    with pytest.raises(NoEquivalent) as caught:
        cron("30 4 1 * 0")
    assert (caught.value.key, caught.value.message, caught.value.fix) == (
        "schedule",
        "gives both a day of the month and a day of the week, which cron runs on either day; "
        "EventBridge Scheduler takes one or the other",
        "split it into two jobs, one with each (e.g. '0 3 1 * *' and '0 3 * * 1')",
    )


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (60, "rate(1 minute)"),
        (120, "rate(2 minutes)"),
        (5400, "rate(90 minutes)"),
        (3600, "rate(1 hour)"),
        (6 * 3600, "rate(6 hours)"),
        (86400, "rate(1 day)"),
        (2 * 86400, "rate(2 days)"),
    ],
)
def test_every_is_a_rate_in_the_largest_whole_unit(seconds: float, expected: str) -> None:
    assert rate(seconds) == expected


def test_every_under_a_minute_is_refused() -> None:
    with pytest.raises(NoEquivalent) as caught:
        rate(30)
    assert (caught.value.key, caught.value.message, caught.value.fix) == (
        "every",
        "is shorter than 1 minute, the shortest interval EventBridge Scheduler runs a job at",
        'use every = "1m" or longer; work every few seconds belongs in a worker service',
    )


def test_every_in_part_minutes_is_refused_with_the_nearest_two() -> None:
    with pytest.raises(NoEquivalent) as caught:
        rate(150)
    assert caught.value.fix == 'use every = "2m" or "3m"'


def test_a_job_is_a_schedule_or_an_interval() -> None:
    assert expression(CronJob("a", "x", schedule="0 3 * * *")) == "cron(0 3 * * ? *)"
    assert expression(CronJob("b", "x", every=600.0)) == "rate(10 minutes)"
