"""The executor's Book, backed by the store: instances and one deployment's events."""

from __future__ import annotations

import logging
from collections.abc import Callable

from launchdeck.controlplane.store import Store
from launchdeck.domain import Instance
from launchdeck.system import SYSTEM_CLOCK, Clock

log = logging.getLogger("launchdeck.reconciler")


class StoreBook:
    def __init__(
        self,
        store: Store,
        deployment_id: int | None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        on_event: Callable[[str, str], None] | None = None,
    ) -> None:
        self.store = store
        self.deployment_id = deployment_id
        self.clock = clock
        self.on_event = on_event

    def save_instance(self, inst: Instance) -> None:
        self.store.save_instance(inst)

    def remove_instance(self, inst: Instance) -> None:
        self.store.remove_instance(inst)

    def ports_in_use(self) -> set[int]:
        return self.store.ports_in_use()

    def event(self, kind: str, message: str) -> None:
        if self.deployment_id is not None:
            self.store.add_event(self.deployment_id, self.clock.now(), kind, message)
        else:
            log.info("%s: %s", kind, message)
        if self.on_event is not None:
            self.on_event(kind, message)
