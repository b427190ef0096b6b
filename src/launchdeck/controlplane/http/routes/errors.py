"""Error groups and incidents of an environment: the top groups of a window, one group, resolve,
ignore or reopen it; the incidents opened and resolving them. The SDKs send events to the ingest
endpoints (controlplane/errortracking/ingest.py), not here."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.errors import NotFound
from launchdeck.controlplane.errortracking.store import Group, Incident, Status
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.models import Shape
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.plane import ControlPlane

ENV = "/v1/apps/{name}/envs/{env}"
WEEK = 7 * 86400.0
ACTIONS = {"resolve": Status.RESOLVED, "ignore": Status.IGNORED, "reopen": Status.UNRESOLVED}


class ErrorGroup(Shape):
    key: str
    title: str
    culprit: str
    level: str
    status: str
    priority: str
    reason: str
    count: int  # every event since it was first seen
    events: int  # in the window asked for
    users: int  # distinct users in the window
    first_seen: float
    last_seen: float
    first_release: str | None
    last_release: str | None
    regressed: bool
    sample: dict[str, Any]


class ErrorListing(Shape):
    dsn: str  # what the environment's instances get as SENTRY_DSN
    since: float
    groups: list[ErrorGroup]


class IncidentShape(Shape):
    id: int
    key: str
    title: str
    priority: str
    reason: str
    release: str | None
    opened_at: float
    resolved_at: float | None


def group_json(group: Group, events: int = 0, users: int = 0) -> dict[str, Any]:
    return {
        "key": group.key, "title": group.title, "culprit": group.culprit, "level": group.level,
        "status": group.status, "priority": group.priority, "reason": group.reason,
        "count": group.count, "events": events, "users": users,
        "first_seen": group.first_seen, "last_seen": group.last_seen,
        "first_release": group.first_release, "last_release": group.last_release,
        "regressed": group.regressed, "sample": json.loads(group.sample),
    }  # fmt: skip


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id, "key": incident.key, "title": incident.title,
        "priority": incident.priority, "reason": incident.reason, "release": incident.release,
        "opened_at": incident.opened_at, "resolved_at": incident.resolved_at,
    }  # fmt: skip


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()
    read, change = [needs(Permission.READ)], [needs(Permission.CHANGE_ENV)]
    store = cp.errors.store

    @api.get(f"{ENV}/errors", dependencies=read, response_model=ErrorListing)
    def list_errors(
        name: str,
        env: str,
        since: Annotated[float, Query(gt=0, le=WEEK)] = 86400.0,
        limit: Annotated[int, Query(ge=1, le=100)] = 5,
        everything: bool = False,  # resolved and ignored groups too
    ) -> dict[str, Any]:
        """The groups with events in the last `since` seconds, most events first."""
        env_of(cp, name, env)
        groups = {g.key: g for g in store.groups(name, env)}
        shown = [
            group_json(groups[key], events, users)
            for key, events, users in store.top(name, env, time.time() - since)
            if key in groups and (everything or groups[key].status == Status.UNRESOLVED)
        ]
        project = store.project_for(name, env)
        dsn = f"http://{project.public_key}@127.0.0.1:{cp.settings.api_port}/{project.id}"
        return {"dsn": dsn, "since": since, "groups": shown[:limit]}

    @api.get(f"{ENV}/errors/{{group}}", dependencies=read, response_model=ErrorGroup)
    def show_error(name: str, env: str, group: str) -> dict[str, Any]:
        env_of(cp, name, env)
        found = cp.errors.group(name, env, group)
        [(_, events, users)] = [
            t for t in store.top(name, env, time.time() - 86400.0) if t[0] == found.key
        ] or [(found.key, 0, 0)]
        return group_json(found, events, users)

    @api.post(f"{ENV}/errors/{{group}}/{{action}}", dependencies=change, response_model=ErrorGroup)
    def change_error(
        name: str, env: str, group: str, action: Literal["resolve", "ignore", "reopen"]
    ) -> dict[str, Any]:
        env_of(cp, name, env)
        return group_json(cp.errors.set_status(name, env, group, ACTIONS[action]))

    @api.get(f"{ENV}/incidents", dependencies=read, response_model=list[IncidentShape])
    def list_incidents(name: str, env: str, everything: bool = False) -> list[dict[str, Any]]:
        env_of(cp, name, env)
        return [incident_json(i) for i in store.incidents(name, env, everything=everything)]

    @api.post(f"{ENV}/incidents/{{incident_id}}/resolve", dependencies=change)
    def resolve_incident(name: str, env: str, incident_id: int) -> dict[str, Any]:
        env_of(cp, name, env)
        if not store.resolve_incident(name, env, incident_id, time.time()):
            raise NotFound(
                f"no open incident #{incident_id} in {name}/{env}",
                f"list them: launchdeck incidents --app {name} --env {env}",
            )
        return {"id": incident_id, "resolved": True}

    return api
