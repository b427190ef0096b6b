"""Alerting over the real time-series store: datapoints come from stored windows, a firing
alert survives a control-plane restart without firing again, and its message names the
figure, the release and the command to look further."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from launchdeck.controlplane.metrics.alerting import Alerting, _log_points
from launchdeck.controlplane.metrics.store import MetricsStore
from launchdeck.controlplane.store import EnvState
from launchdeck.domain import BuildRef, NotifySpec, Release
from launchdeck.domain.alerts import AlertMetric, AlertStatus, Datapoint, LogAlert, MetricAlert
from launchdeck.domain.metrics import RequestWindow, Sample, Series, bucket_of
from tests.clock import ManualClock

T0 = 1_700_000_000.0 // 10 * 10
RULE = MetricAlert("errors", AlertMetric.ERROR_RATE, 0.2, for_s=20.0, service="web")
RELEASE = Release(
    app="shop", env="staging", version=4, build=BuildRef("sha256:x", "python", 0.0), config={},
    services={}, created_at=0.0, notify=NotifySpec(webhooks=("$HOOK",)), alerts=(RULE,),
)  # fmt: skip


@dataclass
class FakeState:
    """The state store's reads Alerting makes: one app, one environment running `running`."""

    running: Release = RELEASE

    def apps(self) -> list[tuple[str, float]]:
        return [("shop", 0.0)]

    def envs(self, app: str | None = None) -> list[EnvState]:
        return [EnvState("shop", "staging", release=4, config={"HOOK": "http://hooks/ok"})]

    def release(self, app: str, env: str, version: int) -> Release | None:
        return self.running


@dataclass
class RecordingNotifier:
    sent: list[tuple[list[str], dict[str, Any]]] = field(default_factory=list)

    def send(self, urls: list[str], message: Any) -> None:
        self.sent.append((urls, message.payload()))


class NoLogs:
    def read_from(self, app: str, env: str, offset: int) -> tuple[list[dict[str, object]], int]:
        return [], offset


def window(t: float, errors: int, requests: int = 10) -> RequestWindow:
    return RequestWindow(
        Series("shop", "staging", "web", "web.v4-aaaaaa", "v4"), t, 10, requests,
        {"2xx": requests - errors, **({"5xx": errors} if errors else {})}, 0,
        {bucket_of(5): requests}, {},
    )  # fmt: skip


def alerting(store: MetricsStore, notifier: RecordingNotifier) -> Alerting:
    return Alerting(store, FakeState(), NoLogs(), notifier)  # type: ignore[arg-type]


def test_fires_once_survives_a_restart_and_resolves(tmp_path: Path) -> None:
    store = MetricsStore(tmp_path / "metrics.db")
    notifier = RecordingNotifier()
    store.add_windows(window(T0 + i * 10, errors=5) for i in range(4))  # 50% errors, 40 s
    alerting(store, notifier).evaluate_all(T0 + 40.05)
    assert [p["text"] for _, p in notifier.sent] == [
        ":rotating_light: shop/staging: errors firing: error_rate of web above 20% for 20s "
        "(now 50%) ▁▁▁"
    ]
    urls, payload = notifier.sent[0]
    assert urls == ["http://hooks/ok"]
    assert "release `v4`" in payload["blocks"][1]["elements"][0]["text"]
    assert "launchdeck metrics --app shop --env staging" in str(payload)

    store.close()  # the control plane restarts; the errors go on
    store = MetricsStore(tmp_path / "metrics.db")
    store.add_windows([window(T0 + 40, errors=5)])
    restarted = alerting(store, notifier)
    restarted.evaluate_all(T0 + 50.05)
    assert len(notifier.sent) == 1  # still firing: not announced again
    assert restarted.statuses("shop", "staging")["errors"].state == "firing"

    store.add_windows([window(T0 + 50, errors=0)])  # the errors stop
    restarted.evaluate_all(T0 + 60.05)
    assert notifier.sent[-1][1]["text"].startswith(
        ":white_check_mark: shop/staging: errors resolved"
    )
    assert [h["kind"] for h in restarted.history("shop", "staging")] == ["resolve", "fire"]
    store.close()


def test_a_log_pattern_that_backtracks_without_end_stops_its_rule_not_the_control_plane() -> None:
    """An attacker's manifest and its app's log lines together: `(a+)+$` against a line of
    a's ending in "b" would take years with `re`; the search gives up and counts nothing."""
    evil = LogAlert("hang", "(a+)+$", count=1, within_s=60.0)
    good = LogAlert("tracebacks", "Traceback", count=1, within_s=60.0)
    lines = [
        {"ts": T0 + 1, "service": "web", "line": "a" * 3000 + "b"},
        {"ts": T0 + 2, "service": "web", "line": "ERROR Traceback (most recent call last):"},
    ]
    started = time.monotonic()
    assert _log_points(evil, AlertStatus(), lines) == []
    assert time.monotonic() - started < 5
    assert _log_points(good, AlertStatus(), lines) == [Datapoint(T0 + 2, 1.0)]


def gauge(name: str, service: str, value: float, t: float) -> Sample:
    return Sample(name, Series("shop", "staging", service), value, t)


def test_built_in_alerts_need_no_rule_a_crash_loop_fires_and_points_at_the_logs(
    tmp_path: Path,
) -> None:
    store = MetricsStore(tmp_path / "metrics.db")
    notifier = RecordingNotifier()
    store.add_samples([
        gauge("crashes", "web", 0, T0), gauge("crashes", "worker", 1, T0),
        gauge("crashes", "web", 0, T0 + 10), gauge("crashes", "worker", 3, T0 + 10),
    ])  # fmt: skip
    watching = alerting(store, notifier)
    watching.evaluate_all(T0 + 20.05)

    [(_, payload)] = notifier.sent
    assert payload["text"] == (
        ":rotating_light: shop/staging: crash-loop firing: crashes above 2 (now 3) ▁"
    )
    assert "launchdeck logs --app shop --env staging" in str(payload)
    assert set(watching.statuses("shop", "staging")) == {
        "errors", "crash-loop", "failing-health", "low-disk", "autoscale-capped"
    }  # fmt: skip


def test_low_disk_watches_the_fullest_disk_for_a_minute_and_can_be_turned_off(
    tmp_path: Path,
) -> None:
    store = MetricsStore(tmp_path / "metrics.db")
    notifier = RecordingNotifier()
    for i in range(8):
        at = T0 + i * 10
        store.add_samples([gauge("disk_free", "postgres", 0.05, at),
                           gauge("disk_free", "redis", 0.5, at)])  # fmt: skip
    watching = alerting(store, notifier)
    watching.evaluate_all(T0 + 50.05)  # 50 s below 10%: pending
    assert notifier.sent == []
    assert watching.statuses("shop", "staging")["low-disk"].state == "pending"
    watching.evaluate_all(T0 + 80.05)
    [(_, payload)] = notifier.sent
    assert "low-disk firing: disk_free below 10% for 1m (now 5%)" in payload["text"]

    off = Alerting(store, FakeState(replace(RELEASE, alerts_off=frozenset({"low-disk"}))),
                   NoLogs(), notifier)  # type: ignore[arg-type]  # fmt: skip
    off.evaluate_all(T0 + 90.05)
    assert "low-disk" not in off.statuses("shop", "staging")


def test_a_queue_that_stays_backed_up_fires(tmp_path: Path) -> None:
    """`[[alerts]] metric = "queue_depth" above = 1000 for = "30s" service = "worker"`: the
    gauge the metrics loop stores for a worker's declared queue."""
    store = MetricsStore(tmp_path / "metrics.db")
    notifier = RecordingNotifier()
    for i, depth in enumerate((200, 1500, 1800, 2400, 3000)):
        store.add_samples([gauge("queue_depth", "worker", depth, T0 + i * 10)])
    rule = MetricAlert("backlog", AlertMetric.QUEUE_DEPTH, 1000, for_s=30.0, service="worker")
    watching = Alerting(store, FakeState(replace(RELEASE, alerts=(rule,))), NoLogs(), notifier)  # type: ignore[arg-type]
    watching.evaluate_all(T0 + 30.05)
    assert notifier.sent == []  # above for 20 s: pending
    watching.evaluate_all(T0 + 50.05)
    [(_, payload)] = notifier.sent
    assert "backlog firing: queue_depth of worker above 1000 for 30s (now 3000)" in payload["text"]


def test_a_failed_backup_told_elsewhere_is_in_the_history(tmp_path: Path) -> None:
    store = MetricsStore(tmp_path / "metrics.db")
    watching = Alerting(store, FakeState(), NoLogs(), RecordingNotifier(),  # type: ignore[arg-type]
                        clock=ManualClock(T0))  # fmt: skip
    watching.note("shop", "staging", "backup-failed", "backup-failed: base.tar.gz is corrupt")
    assert watching.history("shop", "staging") == [
        {"name": "backup-failed", "at": T0, "kind": "fire",
         "summary": "backup-failed: base.tar.gz is corrupt"}
    ]  # fmt: skip
