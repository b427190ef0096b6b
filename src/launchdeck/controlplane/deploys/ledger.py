"""The executor's Ledger, backed by the store: the instances a rollout runs, and its events, which
go through the journal (secret values blanked out) like every other event."""

from __future__ import annotations

from launchdeck.controlplane.deploys.journal import Journal
from launchdeck.domain import Deployment, EventKind, Instance


class StoreLedger:
    """One environment's rollout: `deployment` records its events; None (a repair of the
    reconciler's) sends them to the server log."""

    def __init__(
        self, journal: Journal, app: str, env: str, deployment: Deployment | None = None
    ) -> None:
        self.journal, self.store = journal, journal.store
        self.app, self.env, self.deployment = app, env, deployment

    def save_instance(self, inst: Instance) -> None:
        self.store.save_instance(inst)

    def remove_instance(self, inst: Instance) -> None:
        self.store.remove_instance(inst)

    def ports_in_use(self) -> set[int]:
        return self.store.ports_in_use()

    def event(self, kind: EventKind, message: str) -> None:
        if self.deployment is None:
            self.journal.note(self.app, self.env, kind, message)
        else:
            self.journal.event(self.deployment, kind, message)
