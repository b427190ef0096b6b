"""A deployment's record: its row in the store, the events the CLI streams (secret values blanked
out of every one), and the notices its start and its end send to the webhooks.

`Journal.event` is the one place an event is written: every writer (the use cases, their phases,
and the executor through its ledger) comes through it, so none can skip the redaction."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace

from launchdeck.controlplane.access.redaction import Redactors
from launchdeck.controlplane.errors import Unavailable
from launchdeck.controlplane.notify import Notice, Notifier
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import (
    Deployment,
    DeploymentKind,
    DeploymentState,
    EventKind,
    NotifySpec,
)
from launchdeck.system import SYSTEM_CLOCK, Clock

# the events of the reconciler's repairs: they belong to no deployment, so they go to its log
log = logging.getLogger("launchdeck.reconciler")

FINISHED = {
    DeploymentState.SUCCEEDED: (EventKind.SUCCEEDED, "deployment succeeded"),
    DeploymentState.FAILED: (EventKind.FAILED, "deployment failed: {reason}"),
    DeploymentState.ROLLED_BACK: (EventKind.ROLLED_BACK, "deployment rolled back: {reason}"),
}


class Journal:
    def __init__(
        self,
        store: Store,
        *,
        redactors: Redactors,
        notifier: Notifier | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store, self.redactors, self.notifier, self.clock = store, redactors, notifier, clock
        self._notify_specs: dict[int, NotifySpec] = {}  # deployment id -> its webhooks

    def begin(
        self,
        env: EnvState,
        kind: DeploymentKind,
        notify: NotifySpec | None = None,
        **fields: object,
    ) -> Deployment:
        """Record a pending deployment; `notify` defaults to the current release's webhooks."""
        dep = self.store.add_deployment(
            Deployment(
                id=0,
                app=env.app,
                env=env.name,
                kind=kind,
                state=DeploymentState.PENDING,
                created_at=self.clock.now(),
                from_release=env.release,
                **fields,  # type: ignore[arg-type]
            )
        )
        try:
            self.event(dep, EventKind.STARTED, f"{kind.value} of {env.app}/{env.name} started")
        except Unavailable:  # the caller gets a 503; the deployment must not stay pending
            with contextlib.suppress(Unavailable):
                reason = "the control plane's database was busy: nothing was done; retry"
                failed = DeploymentState.FAILED
                self.store.save_deployment(
                    replace(dep, state=failed, reason=reason, finished_at=self.clock.now())
                )
            raise
        if notify is not None:
            self._notify_specs[dep.id] = notify
        self._notify(dep, EventKind.STARTED)
        return dep

    def event(self, dep: Deployment, kind: EventKind, message: str) -> None:
        """Events are shown to every reader: secret values are blanked out of them."""
        clean = self.redactors(dep.app, dep.env)
        self.store.add_event(dep.id, self.clock.now(), kind, clean(message))

    def note(self, app: str, env: str, kind: EventKind, message: str) -> None:
        """An event of no deployment (a repair's) goes to the server log, redacted too."""
        log.info("%s/%s: %s: %s", app, env, kind, self.redactors(app, env)(message))

    def finish(self, dep: Deployment, state: DeploymentState, reason: str = "") -> Deployment:
        reason = self.redactors(dep.app, dep.env)(reason)
        dep = replace(dep, state=state, reason=reason, finished_at=self.clock.now())
        kind, message = FINISHED[state]
        # the last event before the state: whoever sees the deployment finished (a follower
        # about to stop) finds its last event already there
        self.event(dep, kind, message.format(reason=reason))
        self.store.save_deployment(dep)
        self._notify(dep, kind)
        self._notify_specs.pop(dep.id, None)
        return dep

    def notice(self, dep: Deployment, kind: str, detail: str) -> None:
        """A notice between a deployment's start and its end (a canary step passed), to the
        webhooks that hear of its start."""
        self._notify(dep, EventKind.STARTED, kind=kind, detail=detail)

    def _notify(
        self, dep: Deployment, outcome: EventKind, *, kind: str = "", detail: str = ""
    ) -> None:
        """Queue the webhooks' notices; posting happens in the background."""
        if self.notifier is None:
            return
        if dep.kind == DeploymentKind.AUTOSCALE and outcome in (
            EventKind.STARTED,
            EventKind.SUCCEEDED,
        ):
            return  # the autoscaler's routine changes stay out of the channel; its failures do not
        env = self.store.env(dep.app, dep.env)
        spec = self._notify_specs.get(dep.id)
        if spec is None and env is not None:
            version = dep.to_release or env.release
            release = self.store.release(dep.app, dep.env, version) if version else None
            spec = release.notify if release is not None else None
        if spec is None or env is None:
            return
        notice = Notice(
            app=dep.app,
            env=dep.env,
            kind=kind or outcome.value,
            release=f"v{dep.to_release}" if dep.to_release else "",
            detail=detail or dep.reason,
            action=dep.kind.value,
        )
        self.notifier.send(spec.urls(outcome, env.config), notice)
