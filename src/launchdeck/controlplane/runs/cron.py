"""The cron scheduler: each environment's `[cron]` jobs (as its current release has them) start
the runs their schedules ask for, as detached one-off runs. It looks when the next start is due,
and at least every half second (a deploy may bring new jobs).

Every start decided is recorded as a run with the start it was for (`scheduled_for`) before its
process starts, so a restart never runs it twice; the last recorded start is where the next is
counted from, so a restart loses none either: a start missed while the control plane was down
runs once when it comes back (`catch_up`), or is recorded as skipped. While a run still goes,
the next start is skipped (`forbid`), started anyway (`allow`) or replaces it (`replace`). A run
that fails, times out or is lost is posted to the `[notify]` webhooks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from launchdeck.controlplane.access.auth import Principal, Role
from launchdeck.controlplane.errors import NotFound
from launchdeck.controlplane.notify import Notice, Notifier
from launchdeck.controlplane.runs.service import Runs
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import Release
from launchdeck.domain.jobs import Concurrency, CronJob, Run, RunState
from launchdeck.planning.cron import latest_start, missed, next_start

log = logging.getLogger("launchdeck.cron")
CRON = Principal("cron", Role.ADMIN)
PREFIX = "cron:"
BAD_ENDS = (RunState.FAILED, RunState.TIMED_OUT, RunState.LOST)
MIN_WAIT = 0.005  # seconds: a wake a hair before the start it waited for looks again soon


class CronScheduler:
    def __init__(
        self, store: Store, runs: Runs, notifier: Notifier, *, interval: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._store, self._runs, self._notifier = store, runs, notifier
        self._interval, self._now = interval, clock
        self._stop = threading.Event()
        runs.on_finished = self.finished

    def start(self) -> None:
        threading.Thread(target=self._loop, name="cron", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        wait = self._interval
        while not self._stop.wait(wait):
            due = None
            try:
                due = self.tick()
            except Exception:  # a bad pass must not end the schedule
                log.exception("cron pass failed")
            wait = self._interval if due is None else due - self._now()
            wait = min(self._interval, max(MIN_WAIT, wait))

    def tick(self) -> float | None:
        """Start what is due; the next start any job asks for (None: no jobs)."""
        due: list[float] = []
        for env in self._store.envs():
            release = self._release(env)
            if release is not None:
                due += [self._consider(env, release, job) for job in release.cron.values()]
        return min(due, default=None)

    def _release(self, env: EnvState) -> Release | None:
        return self._store.release(env.app, env.name, env.release) if env.release else None

    def _consider(self, env: EnvState, release: Release, job: CronJob) -> float:
        """Start (or skip) the job's latest start if one is due; its next start."""
        now = self._now()
        runs = self._store.runs(env.app, env.name, source=PREFIX + job.name, limit=20)
        starts = [r.scheduled_for for r in runs if r.scheduled_for is not None]
        since = max(starts) if starts else release.created_at
        start = latest_start(job, since, now)
        if start is None:
            return next_start(job, since)
        if missed(start, now) and not job.catch_up:
            self._skip(env, release, job, start, "missed while the control plane was down")
            return next_start(job, start)
        going = [r for r in runs if not r.state.finished]
        if going and job.concurrency is Concurrency.FORBID:
            self._skip(env, release, job, start, f"{going[0].id} still runs (concurrency forbid)")
            return next_start(job, start)
        if job.concurrency is Concurrency.REPLACE:
            for run in going:
                self._runs.stop(run)
        self._runs.create(
            env, job.command, CRON, detach=True, tty=False, yes=True,
            source=PREFIX + job.name, timeout=job.timeout, scheduled_for=start,
        )  # fmt: skip
        return next_start(job, start)

    def _skip(self, env: EnvState, release: Release, job: CronJob, start: float, why: str) -> None:
        run = Run(f"run.v{release.version}-skip{int(start * 1000) % 10**10:010d}", env.app,
                  env.name, release.version, job.command, PREFIX + job.name, CRON.name,
                  created_at=self._now(), scheduled_for=start)  # fmt: skip
        self._runs.skipped(run, why)

    def trigger(self, env: EnvState, job_name: str, who: Principal) -> Run:
        """`cron trigger`: a run now, outside the schedule (which it does not move)."""
        release = self._release(env)
        job = release.cron.get(job_name) if release else None
        if release is None or job is None:
            known = ", ".join(release.cron) if release else "none"
            raise NotFound(
                f"no cron job {job_name!r} in {env.app}/{env.name} (it has: {known or 'none'})",
                "declare it as [cron.<name>] in launchdeck.toml and deploy",
            )
        run, _ = self._runs.create(env, job.command, who, detach=True, tty=False, yes=True,
                                   source=PREFIX + job.name, timeout=job.timeout)  # fmt: skip
        return run

    def finished(self, run: Run) -> None:
        if not run.source.startswith(PREFIX) or run.state not in BAD_ENDS:
            return
        env = self._store.env(run.app, run.env)
        release = self._release(env) if env else None
        if release is None:
            return
        job = run.source.removeprefix(PREFIX)
        how = run.reason or f"exit code {run.exit_code}"
        headline = f"cron {job}: {run.state.value} ({how}): {run.command}"
        detail = "\n".join((headline, *run.tail[-5:]))
        notice = Notice(run.app, run.env, "failed", f"v{run.release}", detail, f"cron {job}")
        self._notifier.send(release.notify.urls_for_alerts(release.environ()), notice)
