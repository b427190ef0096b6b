"""One-off runs of an environment: start one (detached, or to attach to at /attach), list them
(`ps` shows those running), show and stop one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.http.lookup import env_of
from launchdeck.controlplane.http.security import needs, principal_of
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.domain.jobs import Run

RUNS = "/v1/apps/{name}/envs/{env}/runs"


class StartRun(BaseModel):
    command: str = Field(max_length=4096)
    detach: bool = False
    tty: bool = False  # attached: on a pseudo-terminal (the user's terminal is one)
    yes: bool = False  # confirms a run in a protected environment (production)


def run_json(run: Run) -> dict[str, Any]:
    shown = asdict(run)
    shown["state"] = run.state.value
    shown["release"] = f"v{run.release}"
    return shown


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()

    @api.post(RUNS, status_code=202, dependencies=[needs(Permission.RUN)])
    def start_run(name: str, env: str, body: StartRun, request: Request) -> dict[str, Any]:
        state = env_of(cp, name, env)
        run, key = cp.runs.create(
            state, body.command, principal_of(request), detach=body.detach, tty=body.tty,
            yes=body.yes,
        )  # fmt: skip
        answer = run_json(run)
        if key is not None:
            answer["attach"] = f"/attach/{run.id}?key={key}"
        return answer

    @api.get(RUNS, dependencies=[needs(Permission.READ)])
    def list_runs(name: str, env: str, running: bool = False) -> list[dict[str, Any]]:
        env_of(cp, name, env)
        found = cp.store.runs(name, env)
        return [run_json(r) for r in found if not running or not r.state.finished]

    @api.get(RUNS + "/{run_id}", dependencies=[needs(Permission.READ)])
    def show_run(name: str, env: str, run_id: str) -> dict[str, Any]:
        env_of(cp, name, env)
        return run_json(cp.runs.get(name, env, run_id))

    @api.post(RUNS + "/{run_id}/stop", dependencies=[needs(Permission.RUN)])
    def stop_run(name: str, env: str, run_id: str) -> dict[str, Any]:
        env_of(cp, name, env)
        return run_json(cp.runs.stop(cp.runs.get(name, env, run_id)))

    return api
