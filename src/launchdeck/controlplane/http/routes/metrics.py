"""An environment's metrics: requests, errors, latency, CPU and memory per service and instance."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.metrics.alerting import rules_of
from launchdeck.controlplane.metrics.views import env_metrics
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.domain.alerts import BUILTIN_ALERTS, AlertRule, AlertStatus, MetricAlert

ENV = "/v1/apps/{name}/envs/{env}"
NINETY_DAYS = 90 * 86400.0


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()

    @api.get(f"{ENV}/metrics", dependencies=[needs(Permission.READ)])
    def metrics(
        name: str,
        env: str,
        since: Annotated[float, Query(gt=0, le=NINETY_DAYS)] = 3600.0,
        service: str | None = None,
    ) -> dict[str, Any]:
        """Per service: points over the last `since` seconds (10 s to 1 h apart, at most 120)
        and totals; per instance: totals and the latest CPU and memory."""
        env_of(cp, name, env)
        return cp.metrics.read(
            lambda live: env_metrics(
                cp.metrics_store, name, env, now=time.time(), since=since, service=service,
                live=live,
            )
        )  # fmt: skip

    @api.get(f"{ENV}/alerts", dependencies=[needs(Permission.READ)])
    def alerts(
        name: str, env: str, history: Annotated[int, Query(ge=0, le=1000)] = 50
    ) -> dict[str, Any]:
        """Every rule of the running release (the built-in ones too) with its state, and the
        latest notices."""
        state = env_of(cp, name, env)
        release = cp.store.release(name, env, state.release) if state.release else None
        statuses = cp.alerting.statuses(name, env)
        return {
            "alerts": [
                alert_json(rule, statuses.get(rule.name, AlertStatus()))
                for rule in (rules_of(release) if release else ())
            ],
            "history": cp.alerting.history(name, env, history),
        }

    @api.get("/metrics", dependencies=[needs(Permission.READ, env_param=None)])
    def prometheus() -> Response:
        """Every environment's figures in Prometheus' text format (for a scraper)."""
        return Response(generate_latest(cp.prometheus), media_type=CONTENT_TYPE_LATEST)

    return api


def alert_json(rule: AlertRule, status: AlertStatus) -> dict[str, Any]:
    value = status.value
    if value is None:
        shown = "no data"
    elif isinstance(rule, MetricAlert):
        shown = rule.metric.show(value)
    else:
        shown = f"{value:g} lines"
    return {
        "name": rule.name,
        "builtin": rule in BUILTIN_ALERTS,
        "condition": rule.condition(),
        "state": status.state.value,
        "since": status.since,
        "value": value,
        "shown": shown,
        "last_notified": status.last_notified,
    }
