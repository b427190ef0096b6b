"""Watch ECS services until each primary deployment has rolled out (or failed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from launchdeck.awsdeploy.model import DeployEvent, RolloutProgress, Waits
from launchdeck.awsdeploy.polling import watch
from launchdeck.awsdeploy.ports import ServiceApi
from launchdeck.drivers.aws.clients import ServiceState
from launchdeck.drivers.aws.errors import NoRolloutState, RolloutFailed, TimedOut
from launchdeck.system.clock import Clock

LAST_EVENTS = 5


class RolloutWatcher:
    def __init__(
        self,
        services: ServiceApi,
        *,
        on_event: Callable[[DeployEvent], None],
        clock: Clock,
        waits: Waits,
    ) -> None:
        self._services = services
        self._on_event = on_event
        self._clock = clock
        self._waits = waits

    def wait(
        self, cluster: str, names: Sequence[str], expect: Mapping[str, str] | None = None
    ) -> dict[str, ServiceState]:
        """Until every service's primary deployment is COMPLETED; `expect` (name -> task
        definition ARN) also waits for ECS to make that revision the primary one."""
        pending = list(names)
        done: dict[str, ServiceState] = {}
        shown: dict[str, RolloutProgress] = {}

        def look() -> list[str]:
            states = self._services.describe(cluster, pending)
            for name in list(pending):
                progress = self._progress(states[name], (expect or {}).get(name))
                if shown.get(name) != progress:
                    self._on_event(progress)
                    shown[name] = progress
                if progress.state == "COMPLETED":
                    done[name] = states[name]
                    pending.remove(name)
            return pending

        left, finished = watch(
            look,
            lambda left: not left,
            timeout=self._waits.rollout,
            interval=self._waits.poll,
            clock=self._clock,
        )
        if not finished:
            seen = ", ".join(str(shown[name]) for name in left)
            raise TimedOut(f"the rollout of {', '.join(left)}", self._waits.rollout, seen)
        return done

    def _progress(self, state: ServiceState, expected: str | None) -> RolloutProgress:
        primary = state.primary

        def progress(rollout: str) -> RolloutProgress:
            return RolloutProgress(state.name, rollout, state.running, state.desired)

        if primary is None or (expected and primary.task_definition != expected):
            return progress("PENDING")
        match primary.rollout_state:
            case "FAILED":
                events = [event.message for event in state.events[:LAST_EVENTS]]
                raise RolloutFailed(state.name, primary.rollout_reason, events)
            case None if self._waits.allow_missing_rollout_state:
                return progress("COMPLETED")
            case None:
                raise NoRolloutState(state.name)
            case rollout:
                return progress(rollout)
