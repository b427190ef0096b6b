"""Error tracking's use cases: take in the events an environment's SDKs send, count each into its
group, triage the group (planning.triage decides), open an incident when a group becomes P0 or
P1 and tell the `[notify]` webhooks once; resolve, ignore, list.

An incident opens once per episode: again only when the group gets worse (P1 -> P0), or after
it was resolved and comes back (a regression). Ignored groups are counted, never paged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from launchdeck.controlplane.errors import NotFound
from launchdeck.controlplane.errortracking.events import event_of
from launchdeck.controlplane.errortracking.store import (
    ErrorStore,
    Group,
    Incident,
    Project,
    Status,
    sample_of,
)
from launchdeck.controlplane.notify import Notifier, escaped
from launchdeck.controlplane.store import Store
from launchdeck.domain.errortracking import GroupStats, Priority, TriageRules
from launchdeck.planning.triage import priority_of

WINDOW = 3600.0  # the figures triage reads: the last hour
PAGED = (Priority.P0, Priority.P1)
CACHE_FOR = 5.0  # seconds an environment's release and request count are reused while busy


@dataclass(frozen=True)
class Context:
    """What triage needs of the environment, read at most every few seconds."""

    release: str | None
    rules: TriageRules
    requests: int
    notify: list[str]
    read_at: float


@dataclass(frozen=True)
class IncidentNotice:
    incident: Incident
    rollback: str  # the command that goes back before the release that introduced it

    def payload(self) -> dict[str, Any]:
        i = self.incident  # the title, reason and release come from an app's events
        text = (
            f":rotating_light: {i.app}/{i.env}: {i.priority} incident #{i.id}: {escaped(i.title)}"
        )
        detail = escaped(f"{i.reason}\nintroduced in {i.release or 'an unknown release'}")
        return {
            "text": text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": f"```{detail}```"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": f"`{self.rollback}`"}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": f"group `{i.key}`"}]},
            ],
        }


def rollback_command(app: str, env: str, release: str | None) -> str:
    before = int(release[1:]) - 1 if release and release[1:].isdigit() else 0
    target = f" v{before}" if before >= 1 else ""
    return f"launchdeck rollback{target} --app {app} --env {env}"


class ErrorTracker:
    def __init__(
        self,
        store: ErrorStore,
        state: Store,
        notifier: Notifier,
        requests: Callable[[str, str, float], int],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._state = state
        self._notifier = notifier
        self._requests = requests
        self._now = clock
        self._contexts: dict[tuple[str, str], Context] = {}

    def ingest(
        self, project: Project, payloads: Iterable[object], client_ip: str | None
    ) -> list[str]:
        """Every event is read before any is stored: one malformed event stores none."""
        now = self._now()
        events = [event_of(p, received_at=now, client_ip=client_ip) for p in payloads]
        for event in events:
            group = self.store.record(project.app, project.env, event, sample_of(event))
            self._triage(group, now)
        return [e.event_id for e in events]

    def _triage(self, group: Group, now: float) -> None:
        ctx = self._context(group.app, group.env, now)
        events, paths = self.store.counts(group.app, group.env, group.key, now - WINDOW)
        stats = GroupStats(
            first_release=group.first_release,
            current_release=ctx.release,
            is_regression=group.regressed,
            events_last_hour=events,
            events_in_window=events,
            requests_in_window=ctx.requests,
            paths=paths,
            resolved_release=group.resolved_release,
        )
        priority, reason = priority_of(stats, ctx.rules)
        paged = group.paged
        worse = paged is None or priority < paged
        if group.status != Status.IGNORED and priority in PAGED and worse:
            incident = self.store.open_incident(group, priority, reason, now)
            rollback = rollback_command(group.app, group.env, incident.release)
            self._notifier.send(ctx.notify, IncidentNotice(incident, rollback))
            paged = priority
        if (priority, reason, paged) != (group.priority, group.reason, group.paged):
            self.store.set_priority(group, priority, reason, paged)

    def _context(self, app: str, env: str, now: float) -> Context:
        known = self._contexts.get((app, env))
        if known is not None and now - known.read_at < CACHE_FOR:
            return known
        state = self._state.env(app, env)
        release = self._state.release(app, env, state.release) if state and state.release else None
        ctx = Context(
            release=release.name if release else None,
            rules=release.triage if release else TriageRules(),
            requests=self._requests(app, env, now - WINDOW),
            notify=release.notify.urls_for_alerts(release.environ()) if release else [],
            read_at=now,
        )
        self._contexts[(app, env)] = ctx
        return ctx

    # -- what users ask ----------------------------------------------------------------------

    def group(self, app: str, env: str, key: str) -> Group:
        """A group by its key, or by a prefix of it (at least 4 characters) only it has."""
        exact = self.store.group(app, env, key)
        if exact is not None:
            return exact
        found = [g for g in self.store.groups(app, env) if len(key) >= 4 and g.key.startswith(key)]
        if len(found) != 1:
            raise NotFound(
                f"no error group {key!r} in {app}/{env}"
                + (" (the prefix is ambiguous)" if found else ""),
                f"pick one from: launchdeck errors --app {app} --env {env}",
            )
        return found[0]

    def set_status(self, app: str, env: str, key: str, status: str) -> Group:
        group = self.group(app, env, key)
        state = self._state.env(app, env)
        release = f"v{state.release}" if state and state.release else None
        self.store.set_status(group, status, release)
        updated = self.store.group(app, env, group.key)
        assert updated is not None
        return updated
