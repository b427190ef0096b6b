from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest

from launchdeck.controlplane.deploys.workers import EnvWorker, Workers

WAIT = 2.0  # generous upper bound; every wait below ends as soon as its condition holds


def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


class JobLog:
    """Records job starts and ends, and the most jobs seen running at once."""

    def __init__(self) -> None:
        self.entries: list[str] = []
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def job(self, name: str, *, hold: float = 0.0, fail: bool = False) -> Callable[[], None]:
        def run() -> None:
            with self._lock:
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
                self.entries.append(f"start {name}")
            time.sleep(hold)
            with self._lock:
                self.running -= 1
                self.entries.append(f"end {name}")
            if fail:
                raise RuntimeError(f"{name} broke")

        return run


def test_jobs_for_one_env_run_in_order_one_at_a_time() -> None:
    worker = EnvWorker(("shop", "staging"))
    log = JobLog()

    for i in range(5):
        worker.submit(log.job(str(i), hold=0.01))

    assert eventually(lambda: len(log.entries) == 10 and not worker.busy)
    assert log.entries == [f"{edge} {i}" for i in range(5) for edge in ("start", "end")]
    assert log.most_at_once == 1


def test_busy_while_a_job_is_queued_or_running() -> None:
    worker = EnvWorker(("shop", "staging"))
    started, release_first = threading.Event(), threading.Event()
    second_ran = threading.Event()
    assert not worker.busy

    def first() -> None:
        started.set()
        release_first.wait(WAIT)

    worker.submit(first)
    worker.submit(second_ran.set)
    assert started.wait(WAIT)
    assert worker.busy  # first running, second queued

    release_first.set()
    assert second_ran.wait(WAIT)
    assert eventually(lambda: not worker.busy)


def test_busy_as_soon_as_a_job_is_submitted() -> None:
    worker = EnvWorker(("shop", "staging"))
    gate = threading.Event()

    worker.submit(lambda: gate.wait(WAIT))

    assert worker.busy
    gate.set()
    assert eventually(lambda: not worker.busy)


def test_a_failing_job_is_logged_and_later_jobs_still_run(caplog: pytest.LogCaptureFixture) -> None:
    worker = EnvWorker(("shop", "staging"))
    log = JobLog()

    with caplog.at_level(logging.ERROR, logger="launchdeck.workers"):
        worker.submit(log.job("a"))
        worker.submit(log.job("b", fail=True))
        worker.submit(log.job("c"))
        assert eventually(lambda: len(log.entries) == 6 and not worker.busy)

    assert log.entries == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert [r.getMessage() for r in caplog.records] == ["job for shop/staging failed"]
    assert caplog.records[0].exc_info is not None
    assert str(caplog.records[0].exc_info[1]) == "b broke"


def test_a_running_job_holds_the_worker_lock() -> None:
    worker = EnvWorker(("shop", "staging"))
    held: list[bool] = []
    done = threading.Event()

    def job() -> None:
        held.append(worker.lock.locked())
        done.set()

    worker.submit(job)

    assert done.wait(WAIT)
    assert held == [True]
    assert eventually(lambda: not worker.lock.locked())


def test_a_job_waits_while_someone_else_holds_the_lock() -> None:
    worker = EnvWorker(("shop", "staging"))
    ran = threading.Event()

    with worker.lock:  # as the reconciler does during a repair
        worker.submit(ran.set)
        assert not ran.wait(0.05)
        assert worker.busy

    assert ran.wait(WAIT)


def test_the_worker_thread_is_a_named_daemon() -> None:
    worker = EnvWorker(("shop", "staging"))
    names = {t.name: t.daemon for t in threading.enumerate()}
    assert worker.key == ("shop", "staging")
    assert names.get("env-shop-staging") is True


def test_workers_gives_one_worker_per_env() -> None:
    workers = Workers()

    staging = workers[("shop", "staging")]

    assert workers[("shop", "staging")] is staging
    assert workers[("shop", "production")] is not staging
    assert workers[("blog", "staging")] is not staging
    assert staging.key == ("shop", "staging")


def test_different_envs_run_side_by_side() -> None:
    workers = Workers()
    gate = threading.Event()
    other_ran = threading.Event()

    workers[("shop", "staging")].submit(lambda: gate.wait(WAIT))
    workers[("shop", "production")].submit(other_ran.set)

    assert other_ran.wait(WAIT)  # not stuck behind staging's job
    assert workers[("shop", "staging")].busy
    gate.set()
    assert eventually(lambda: not workers[("shop", "staging")].busy)
