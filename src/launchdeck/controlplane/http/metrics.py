"""An environment's metrics: requests, errors, latency, CPU and memory per service and instance."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query

from launchdeck.controlplane.auth import Permission
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.metrics.views import env_metrics
from launchdeck.controlplane.plane import ControlPlane

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

    return api
