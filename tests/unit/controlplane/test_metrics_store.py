"""The time-series store: windows add up, minutes and hours roll up exactly (buckets merge),
retention prunes, and a day of ten instances stays under a stated size."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchdeck.controlplane.metrics.store import MetricsStore
from launchdeck.controlplane.metrics.views import env_metrics, step_for
from launchdeck.domain.metrics import RequestWindow, Sample, Series, bucket_of, quantile

DAY = 86400
START = 1_700_000_000 // 3600 * 3600  # an hour boundary
SIZE_BOUND = 20 * 2**20  # bytes for a day of ten instances, all serving (17.4 MiB measured)


def window(t: float, *, instance: str = "web.v1-a", requests: int = 10, ms: float = 20.0,
           errors: int = 0) -> RequestWindow:  # fmt: skip
    return RequestWindow(
        series=Series("shop", "staging", "web", instance, "v1"),
        start=t,
        seconds=10,
        requests=requests,
        statuses={"2xx": requests - errors, **({"5xx": errors} if errors else {})},
        bytes_out=100 * requests,
        total_ms={bucket_of(ms): requests},
        server_ms={bucket_of(ms / 2): requests},
    )


@pytest.fixture
def store(tmp_path: Path):
    opened = MetricsStore(tmp_path / "metrics.db")
    yield opened
    opened.close()


def test_a_window_stored_twice_adds_up(store: MetricsStore) -> None:
    store.add_windows([window(START, requests=10)])
    store.add_windows([window(START, requests=5, errors=5)])  # the rest of it, after a restart
    [point] = store.requests("shop", "staging", since=0, step=10)
    assert point.requests == 15 and point.statuses == {"2xx": 10, "5xx": 5}


def test_minutes_and_hours_roll_up_exactly(store: MetricsStore) -> None:
    # an hour of traffic: one slow window in every minute, the rest fast
    windows = [
        window(START + m * 60 + s * 10, ms=500.0 if s == 0 else 10.0)
        for m in range(60)
        for s in range(6)
    ]
    store.add_windows(windows)
    store.add_samples(
        Sample(
            "cpu", Series("shop", "staging", "web", "web.v1-a", "v1"), 0.1 * (i % 6), START + i * 10
        )
        for i in range(360)
    )
    store.roll_up(START + 3600 + 1)

    minutes = store.requests("shop", "staging", since=0, step=60)
    [hour] = store.requests("shop", "staging", since=0, step=3600)
    assert len(minutes) == 60 and all(m.requests == 60 for m in minutes)
    assert hour.requests == 3600
    # 1 in 6 is slow: the hour's p90 is slow, its p50 fast (buckets merged, not p95s averaged)
    assert quantile(hour.total_ms, 0.9) == pytest.approx(500, rel=0.03)
    assert quantile(hour.total_ms, 0.5) == pytest.approx(10, rel=0.03)
    [cpu_hour] = [g for g in store.gauges("shop", "staging", since=0, step=3600)]
    assert cpu_hour.value == pytest.approx(0.25)


def test_rolling_up_twice_counts_once(store: MetricsStore) -> None:
    store.add_windows([window(START + s * 10) for s in range(6)])
    store.roll_up(START + 61)
    store.roll_up(START + 125)
    [minute] = store.requests("shop", "staging", since=0, step=60)
    assert minute.requests == 60


def test_points_older_than_their_retention_are_gone(store: MetricsStore) -> None:
    store.add_windows([window(START), window(START + 2 * DAY)])
    store.roll_up(START + 2 * DAY + 60)
    tens = store.requests("shop", "staging", since=0, step=10)
    assert [p.t for p in tens] == [START + 2 * DAY]  # 10 s points last a day, minutes 14
    assert [p.t for p in store.requests("shop", "staging", since=0, step=60)] == [
        START,
        START + 2 * DAY,
    ]
    store.roll_up(START + 17 * DAY)
    assert [p.t for p in store.requests("shop", "staging", since=0, step=60)] == []


def test_a_day_of_ten_instances_stays_under_the_stated_bound(tmp_path: Path) -> None:
    """On a compressed clock: 8640 windows per instance, five gauges each, rolled up hourly."""
    store = MetricsStore(tmp_path / "metrics.db")
    instances = [f"web.v1-{n:06x}" for n in range(10)]
    for hour in range(25):
        base = START + hour * 3600
        store.add_windows(
            window(base + s * 10, instance=i, requests=50, ms=5 + s % 40, errors=s % 3)
            for i in instances
            for s in range(360)
        )
        store.add_samples(
            Sample(name, Series("shop", "staging", "web", i, "v1"), float(s), base + s * 10)
            for i in instances
            for s in range(360)
            for name in ("cpu", "memory_bytes", "memory_limit_bytes", "memory", "open_fds")
        )
        store.roll_up(base + 3600)
    store.close()
    size = sum(f.stat().st_size for f in tmp_path.glob("metrics.db*"))
    print(f"metrics.db after a day of ten instances: {size / 2**20:.1f} MiB")
    assert size < SIZE_BOUND, f"{size / 2**20:.1f} MiB"


def test_the_view_picks_a_resolution_and_merges_live_windows(store: MetricsStore) -> None:
    assert step_for(3600) == 30 and step_for(600) == 10 and step_for(30 * DAY) == 21600
    store.add_windows([window(START, requests=10)])
    live = [window(START + 10, requests=7, errors=7)]
    data = env_metrics(store, "shop", "staging", now=START + 20, since=600, service=None, live=live)
    total = data["services"]["web"]["total"]
    assert total["requests"] == 17 and total["statuses"] == {"2xx": 10, "5xx": 7}
    assert total["error_rate"] == pytest.approx(7 / 17)
    assert [i["instance"] for i in data["instances"]] == ["web.v1-a"]
