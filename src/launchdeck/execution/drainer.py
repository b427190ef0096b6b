"""Deregistration: stop sending new requests, let in-flight ones finish, then stop the process."""

from __future__ import annotations

from collections.abc import Sequence

from launchdeck.domain import Instance
from launchdeck.execution.runtime import Runtime
from launchdeck.system import SYSTEM_CLOCK, Clock

# HAProxy counts a request against its server as soon as it picks it, so once the drain is
# applied the session count covers everything still on its way; this pause is only a margin
SETTLE = 0.01


class Drainer:
    def __init__(self, runtime: Runtime, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.runtime = runtime
        self.clock = clock

    def drain(self, instances: Sequence[Instance], *, delay: float) -> None:
        """Drain routed instances together; wait until none has a session, at most `delay`."""
        routed = [i for i in instances if i.port is not None]
        for inst in routed:
            self.runtime.drain(inst)
        if not routed:
            return
        deadline = self.clock.monotonic() + delay
        self.clock.sleep(min(SETTLE, delay))
        while self.clock.monotonic() < deadline:
            if all(self._sessions(i) == 0 for i in routed):
                break
            self.clock.sleep(0.01)
        for inst in routed:
            self.runtime.unroute(inst, timeout=max(0.5, deadline - self.clock.monotonic()))

    def _sessions(self, inst: Instance) -> int:
        try:
            return self.runtime.sessions(inst)
        except Exception:  # the server is already gone from the router
            return 0
