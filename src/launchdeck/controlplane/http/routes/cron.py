"""Scheduled jobs of an environment: the jobs its current release has with their next start and
last run, their recorded runs, and a run now (`cron trigger`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.routes.runs import run_json
from launchdeck.controlplane.http.security import needs, principal_of
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.controlplane.runs.cron import PREFIX
from launchdeck.planning.cron import next_start

CRON = "/v1/apps/{name}/envs/{env}/cron"


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()
    read = [needs(Permission.READ)]

    @api.get(CRON, dependencies=read)
    def list_jobs(name: str, env: str) -> list[dict[str, Any]]:
        state = env_of(cp, name, env)
        release = cp.store.release(name, env, state.release) if state.release else None
        jobs = []
        for job in (release.cron if release else {}).values():
            runs = cp.store.runs(name, env, source=PREFIX + job.name, limit=20)
            starts = [r.scheduled_for for r in runs if r.scheduled_for is not None]
            since = max(starts) if starts else (release.created_at if release else 0.0)
            jobs.append({
                "name": job.name, "command": job.command, "when": job.when,
                "timeout": job.timeout, "concurrency": job.concurrency.value,
                "catch_up": job.catch_up, "next_at": next_start(job, since),
                "last_run": run_json(runs[0]) if runs else None,
            })  # fmt: skip
        return jobs

    @api.get(CRON + "/runs", dependencies=read)
    def job_runs(
        name: str, env: str, job: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> list[dict[str, Any]]:  # fmt: skip
        env_of(cp, name, env)
        source = PREFIX + job if job else None
        found = cp.store.runs(name, env, source=source, limit=limit if job else 500)
        return [run_json(r) for r in found if r.source.startswith(PREFIX)][:limit]

    @api.post(CRON + "/{job}/trigger", status_code=202, dependencies=[needs(Permission.RUN)])
    def trigger(name: str, env: str, job: str, request: Request) -> dict[str, Any]:
        state = env_of(cp, name, env)
        return run_json(cp.cron.trigger(state, job, principal_of(request)))

    return api
