"""An environment's releases, rollback, promotion, instances, scale, restart and logs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.deploys.promotion import promotion_json
from launchdeck.controlplane.errors import Invalid
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.lookup import check_deployable, env_of
from launchdeck.controlplane.http.routes.deploys import ndjson
from launchdeck.controlplane.http.security import needs
from launchdeck.controlplane.logs.patterns import MATCH_TIMEOUT, PatternError, compile_pattern
from launchdeck.controlplane.logs.store import LogQuery
from launchdeck.controlplane.plane import ControlPlane, deployment_json
from launchdeck.planning import render


class Rollback(BaseModel):
    version: int | None = None


class Promote(BaseModel):
    source: str = Field(alias="from")


class Scale(BaseModel):
    counts: dict[str, int]


class Restart(BaseModel):
    service: str | None = None


ENV = "/v1/apps/{name}/envs/{env}"


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()
    read = [needs(Permission.READ)]
    change = [needs(Permission.CHANGE_ENV)]

    @api.get(f"{ENV}/releases", dependencies=read, response_model=list[models.Release])
    def releases(name: str, env: str) -> list[dict[str, Any]]:
        return cp.releases_json(env_of(cp, name, env))

    @api.post(
        f"{ENV}/rollback", status_code=202, dependencies=change, response_model=models.Deployment
    )
    def rollback(name: str, env: str, body: Rollback) -> dict[str, Any]:
        return deployment_json(cp.deployments.rollback(env_of(cp, name, env), body.version))

    @api.get("/v1/apps/{name}/promotion", dependencies=read, response_model=models.Promotion)
    def promotion(
        name: str,
        source: Annotated[str, Query(alias="from")],
        target: Annotated[str, Query(alias="to")],
    ) -> dict[str, Any]:
        preview = cp.deployments.promotion(env_of(cp, name, source), env_of(cp, name, target))
        return promotion_json(preview)

    @api.post(
        f"{ENV}/promotions",
        status_code=202,
        dependencies=[needs(Permission.PROMOTE)],
        response_model=models.Deployment,
    )
    def promote(name: str, env: str, body: Promote) -> dict[str, Any]:
        source, target = env_of(cp, name, body.source), env_of(cp, name, env)
        check_deployable(cp, target, cp.deployments.promotion(source, target).manifest)
        return deployment_json(cp.deployments.promote(source, target))

    @api.get(f"{ENV}/instances", dependencies=read, response_model=list[models.Instance])
    def instances(name: str, env: str) -> list[dict[str, Any]]:
        return cp.instances_json(env_of(cp, name, env))

    @api.get(f"{ENV}/queues", dependencies=read, response_model=list[models.Queue])
    def queues(name: str, env: str) -> list[dict[str, Any]]:
        """Each service's declared queue and the messages waiting in it (null: no answer)."""
        return cp.queues.of(env_of(cp, name, env))

    @api.post(
        f"{ENV}/scale", status_code=202, dependencies=change, response_model=models.Deployment
    )
    def scale(name: str, env: str, body: Scale) -> dict[str, Any]:
        state = env_of(cp, name, env)
        return deployment_json(
            cp.deployments.scale(state, body.counts, max_scale=cp.settings.max_scale)
        )

    @api.post(f"{ENV}/scale/plan", dependencies=change, response_model=models.PlanPreview)
    def plan_scale(name: str, env: str, body: Scale) -> dict[str, Any]:
        """`scale --dry-run`: the steps `scale` would take, checked the same way."""
        state = env_of(cp, name, env)
        plan = cp.deployments.plan_scale(state, body.counts, max_scale=cp.settings.max_scale)
        return {"release": f"v{state.release}", "steps": render(plan)}

    @api.post(
        f"{ENV}/restart", status_code=202, dependencies=change, response_model=models.Deployment
    )
    def restart(name: str, env: str, body: Restart) -> dict[str, Any]:
        return deployment_json(cp.deployments.restart(env_of(cp, name, env), body.service))

    @api.get(f"{ENV}/logs", dependencies=read)
    def logs(
        name: str,
        env: str,
        since: float | None = None,
        grep: str | None = None,
        service: str | None = None,
        follow: bool = False,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    ) -> StreamingResponse:
        """One log line per NDJSON line, secrets redacted; `follow` keeps the stream open."""
        env_of(cp, name, env)
        try:
            pattern = compile_pattern(grep) if grep else None
        except PatternError as exc:
            raise Invalid(
                f"--grep {grep!r} is not a valid regular expression: {exc}",
                "escape special characters, e.g. 'GET /health'",
            ) from None
        q = LogQuery(since=since, grep=pattern, service=service, limit=limit)
        if follow:
            return ndjson(cp.logs.follow(name, env, q))
        try:
            return ndjson(iter(cp.logs.query(name, env, q)))
        except TimeoutError:
            raise Invalid(
                f"--grep {grep!r} took over {MATCH_TIMEOUT:g}s on one line: it backtracks "
                "without end (nested repeats like '(a+)+')",
                "simplify the pattern, e.g. 'a+' instead of '(a+)+'",
            ) from None

    return api
