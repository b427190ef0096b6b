"""One-off runs: `launchdeck run` and (later) cron jobs start one; each is recorded (who, the
command with the environment's secret values masked, start, end, exit code, last log lines)
and audited.

Detached, the process starts now and a watcher records its end. Attached, the run waits (at most
`ATTACH_WAIT` seconds) for its client to connect with the one-time key it was given; the process
starts then, on a pseudo-terminal or pipes, and the client relays its bytes (attach.py).
A run is killed at its timeout; after a control-plane restart a detached run still going is
watched again, and one whose process is gone is recorded as lost.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from launchdeck.controlplane.access.auth import PROTECTED_ENVS, Principal, Role
from launchdeck.controlplane.access.redaction import Redactors
from launchdeck.controlplane.errors import Conflict, Forbidden, Invalid, NotFound
from launchdeck.controlplane.ports import OneOffProcess, OneOffs
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import Release
from launchdeck.domain.jobs import Run, RunState

ATTACH_WAIT = 30.0  # seconds an attached run waits for its client
TAIL_LINES = 20
MAX_COMMAND = 4096


class Runs:
    def __init__(
        self,
        store: Store,
        driver: OneOffs,
        redactors: Redactors,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._driver, self._redactors = store, driver, redactors
        self._now = clock
        self._pending: dict[str, tuple[str, str]] = {}  # run id -> (attach key, command)
        self._lock = threading.Lock()
        self.on_finished: Callable[[Run], None] = lambda _run: None  # cron tells webhooks

    # -- starting --------------------------------------------------------------------------

    def create(
        self, env: EnvState, command: str, who: Principal, *, detach: bool, tty: bool, yes: bool,
        source: str = "cli", timeout: float | None = None, scheduled_for: float | None = None,
    ) -> tuple[Run, str | None]:  # fmt: skip
        """The run, started when detached; else with the key its client attaches with."""
        release = self._release(env)
        _check_command(command)
        if env.name in PROTECTED_ENVS and who.role is not Role.ADMIN and not yes:
            raise Forbidden(
                f"a one-off run in {env.name!r} needs an admin, or confirming it",
                f"add --yes: launchdeck run --yes --app {env.app} --env {env.name} -- ...",
            )
        run = Run(
            id=f"run.v{release.version}-{secrets.token_hex(4)}", app=env.app, env=env.name,
            release=release.version, command=self._redactors(env.app, env.name)(command),
            source=source, who=who.name, detached=detach, tty=tty and not detach,
            created_at=self._now(), scheduled_for=scheduled_for, timeout=timeout,
        )  # fmt: skip
        action = f"run {run.id} in {env.app}/{env.name}: {run.command}"
        self._store.add_audit(run.created_at, who.name, who.role.value, action, 202)
        if detach:
            return self._start_detached(run, command, release), None
        key = secrets.token_urlsafe(24)
        with self._lock:
            self._pending[run.id] = (key, command)
        self._store.save_run(run)
        abandon = threading.Timer(ATTACH_WAIT, self._abandon, args=(run.id,))
        abandon.daemon = True  # a control plane that stops does not wait for it
        abandon.start()
        return run, key

    def _release(self, env: EnvState) -> Release:
        release = self._store.release(env.app, env.name, env.release) if env.release else None
        if release is None:
            raise Conflict(
                f"{env.app}/{env.name} has no release deployed yet: nothing to run",
                f"deploy first: launchdeck deploy --app {env.app} --env {env.name}",
            )
        return release

    def _start_detached(self, run: Run, command: str, release: Release) -> Run:
        self._store.save_run(run)  # first: a crash before it starts is a lost run, not a second
        try:
            pid, created, log = self._driver.start_one_off(run.id, command, release)
        except Exception as exc:
            self.finish(run, None, RunState.FAILED, f"could not start: {exc}")
            raise
        started = replace(run, started_at=self._now(), pid=pid, proc_started_at=created)
        self._store.save_run(started)
        self.watch(started, log)
        return started

    def watch(self, run: Run, log: Path) -> None:
        """Record the end of a detached run (stopping it at its timeout), from a thread."""
        threading.Thread(target=self._watch, args=(run, log), name=run.id, daemon=True).start()

    def _watch(self, run: Run, log: Path) -> None:
        assert run.pid is not None and run.proc_started_at is not None
        proc, timeout = (run.pid, run.proc_started_at), run.timeout
        deadline = (run.started_at or self._now()) + timeout if timeout else None
        while self._driver.one_off_alive(*proc):
            if deadline is not None and self._now() >= deadline:
                self._driver.stop_one_off(*proc, timeout=10.0)
                reason = f"stopped at its {timeout:g} s timeout"
                self.finish(run, None, RunState.TIMED_OUT, reason, _tail_of(log))
                return
            time.sleep(0.2)
        code = self._driver.one_off_exit_code(*proc)
        state = RunState.SUCCEEDED if code == 0 else RunState.FAILED
        self.finish(run, code, state if code is not None else RunState.LOST, "", _tail_of(log))

    def resume(self) -> None:
        """After a restart: watch the detached runs still going; the others ended with us."""
        for run in self._store.unfinished_runs():
            pid, created = run.pid, run.proc_started_at
            if (
                run.detached and pid is not None and created is not None
                and self._driver.one_off_alive(pid, created)
            ):  # fmt: skip
                self.watch(run, self._driver.one_off_log(run.id, run.app, run.env))
            else:
                self.finish(run, None, RunState.LOST, "the control plane restarted")

    def stop(self, run: Run) -> Run:
        if run.state.finished:
            return run
        if run.pid is not None and run.proc_started_at is not None:
            self._driver.stop_one_off(run.pid, run.proc_started_at, timeout=10.0)
        return self.finish(run, None, RunState.STOPPED, "stopped by a user")

    # -- attaching -------------------------------------------------------------------------

    def attach(self, run_id: str, key: str, rows: int, cols: int) -> tuple[Run, OneOffProcess]:
        """Start an attached run for the client holding its key (once)."""
        with self._lock:
            pending = self._pending.get(run_id)
            if pending is None or not hmac.compare_digest(pending[0], key):
                raise NotFound(f"no run {run_id} waiting to be attached", "start it again")
            del self._pending[run_id]
        run = self._store.run(run_id)
        release = self._store.release(run.app, run.env, run.release) if run else None
        if run is None or release is None:
            raise NotFound(f"run {run_id} is gone", "start it again")
        attached = self._driver.attach_one_off(
            run.id, pending[1], release, tty=run.tty, rows=rows, cols=cols
        )
        started = replace(run, started_at=self._now(), pid=attached.pid)
        self._store.save_run(started)
        return started, attached

    def _abandon(self, run_id: str) -> None:
        with self._lock:
            unused = self._pending.pop(run_id, None)
        run = self._store.run(run_id)
        if unused is not None and run is not None and run.started_at is None:
            self.finish(run, None, RunState.STOPPED, "no client attached")

    # -- ending ----------------------------------------------------------------------------

    def finish(
        self, run: Run, code: int | None, state: RunState, reason: str = "",
        tail: tuple[str, ...] = (),
    ) -> Run:  # fmt: skip
        clean = self._redactors(run.app, run.env)
        ended = replace(run, state=state, exit_code=code, finished_at=self._now(), reason=reason,
                        tail=tuple(clean(line) for line in tail[-TAIL_LINES:]))  # fmt: skip
        self._store.save_run(ended)
        self.on_finished(ended)
        return ended

    def skipped(self, run: Run, reason: str) -> Run:
        """A cron start that did not happen, recorded so it is neither retried nor lost."""
        ended = replace(run, state=RunState.SKIPPED, finished_at=self._now(), reason=reason)
        self._store.save_run(ended)
        return ended

    def get(self, app: str, env: str, run_id: str) -> Run:
        run = self._store.run(run_id)
        if run is None or (run.app, run.env) != (app, env):
            raise NotFound(f"no run {run_id} in {app}/{env}", "list them: launchdeck ps")
        return run


def _check_command(command: str) -> None:
    if not command.strip() or len(command) > MAX_COMMAND or "\x00" in command:
        raise Invalid(
            f"command: should be 1-{MAX_COMMAND} characters (got {len(command)})",
            "e.g. launchdeck run -- python manage.py migrate",
        )


def _tail_of(log: Path) -> tuple[str, ...]:
    try:
        with log.open("rb") as fh:
            fh.seek(max(0, log.stat().st_size - 8192))
            text = fh.read().decode(errors="replace")
    except OSError:
        return ()
    return tuple(text.splitlines()[-TAIL_LINES:])
