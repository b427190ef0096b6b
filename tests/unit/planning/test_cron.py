"""When a scheduled job is due, on a manual clock."""

from datetime import UTC, datetime

from launchdeck.domain.jobs import CronJob
from launchdeck.planning.cron import latest_start, missed, next_start


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


NIGHTLY = CronJob("nightly", "x", schedule="0 3 * * *")


def test_a_cron_schedule_is_due_once_however_many_starts_passed() -> None:
    since = at("2026-12-01T12:00:00")
    assert latest_start(NIGHTLY, since, at("2026-12-02T02:59:59")) is None
    assert latest_start(NIGHTLY, since, at("2026-12-02T03:00:00")) == at("2026-12-02T03:00:00")
    # down for three nights: one start, the latest
    assert latest_start(NIGHTLY, since, at("2026-12-05T10:00:00")) == at("2026-12-05T03:00:00")
    assert latest_start(NIGHTLY, at("2026-12-05T03:00:00"), at("2026-12-05T10:00:00")) is None
    assert next_start(NIGHTLY, at("2026-12-05T03:00:00")) == at("2026-12-06T03:00:00")


def test_a_schedule_runs_in_its_time_zone() -> None:
    paris = CronJob("p", "x", schedule="0 3 * * *", timezone="Europe/Paris")
    assert next_start(paris, at("2026-12-01T12:00:00")) == at("2026-12-02T02:00:00")  # UTC+1
    summer = next_start(paris, at("2026-07-01T12:00:00"))
    assert summer == at("2026-07-02T01:00:00")  # UTC+2


def test_an_interval_counts_from_the_last_start() -> None:
    every = CronJob("e", "x", every=2.0)
    assert latest_start(every, 100.0, 101.9) is None
    assert latest_start(every, 100.0, 102.0) == 102.0
    assert latest_start(every, 100.0, 107.5) == 106.0  # 102, 104 passed: one run, the latest


def test_late_is_missed_only_past_the_grace() -> None:
    assert not missed(100.0, 101.0) and missed(100.0, 200.0)
