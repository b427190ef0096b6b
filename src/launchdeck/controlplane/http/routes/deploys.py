"""Deploys: an uploaded app directory (`launchdeck deploy`), a pushed commit (the git hook), the
app's git repository, and deployments with their events."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from launchdeck.build import BuildError, detect_kind
from launchdeck.controlplane.access.auth import Permission, authorize
from launchdeck.controlplane.errors import ApiError, Invalid
from launchdeck.controlplane.git import environment_for
from launchdeck.controlplane.http import models
from launchdeck.controlplane.http.lookup import app_of, check_deployable, declared_env, env_of
from launchdeck.controlplane.http.security import needs, principal_of
from launchdeck.controlplane.plane import ControlPlane, deployment_json, event_json
from launchdeck.controlplane.store import EnvState
from launchdeck.controlplane.uploads import UPLOAD_LIMITS, receive, unpack
from launchdeck.domain import Manifest
from launchdeck.manifest import ManifestError, load_manifest
from launchdeck.planning import render


def router(cp: ControlPlane) -> APIRouter:
    api = APIRouter()

    @api.post(
        "/v1/apps/{name}/envs/{env}/deploys",
        status_code=202,
        dependencies=[needs(Permission.CHANGE_ENV)],
        response_model=models.Deployment,
    )
    async def deploy(
        name: str, env: str, request: Request, git_sha: str | None = None, canary: bool = False
    ) -> dict[str, Any]:
        fix = "fix the app, then deploy again"
        source, manifest, state = await received(request, name, fix, lambda _: env)
        dep = cp.deployments.deploy(state, source, manifest, git_sha, canary=canary)
        return deployment_json(dep)

    async def received(
        request: Request, name: str, fix: str, env_for: Callable[[Manifest], str]
    ) -> tuple[Path, Manifest, EnvState]:
        """An uploaded app, its manifest and the environment it goes to (`env_for` names it,
        once the manifest is known); on any refusal the upload is gone."""
        app_of(cp, name)
        source = await upload(request, cp.home / "tmp")
        try:
            manifest = app_manifest(source, fix)
            env = env_for(manifest)
            return source, manifest, declared_env(cp, name, env, manifest)
        except ApiError:
            shutil.rmtree(source, ignore_errors=True)
            raise

    @api.post(
        "/v1/apps/{name}/envs/{env}/deploys/plan",
        dependencies=[needs(Permission.CHANGE_ENV)],
        response_model=models.PlanPreview,
    )
    async def plan_deploy(name: str, env: str, request: Request) -> dict[str, Any]:
        """`deploy --dry-run`: the manifest checked as a deploy checks it and the rollout the
        next release would take. Nothing is built, recorded or started."""
        app_of(cp, name)
        source = await upload(request, cp.home / "tmp")
        try:
            manifest = app_manifest(source, "fix the app, then try again")
        finally:
            shutil.rmtree(source, ignore_errors=True)
        state = cp.store.env(name, env)
        if state is None and env in manifest.environments:
            state = EnvState(name, env)  # the deploy would make it
        target = state or env_of(cp, name, env)
        check_deployable(cp, target, manifest)
        plan = cp.deployments.plan_deploy(target, manifest)
        version = cp.store.next_release_version(name, env)
        return {"release": f"v{version}", "steps": render(plan)}

    @api.post(
        "/v1/apps/{name}/git",
        dependencies=[needs(Permission.CHANGE_ENV, env_param=None)],
        response_model=models.GitRepository,
    )
    def git_repository(name: str) -> dict[str, Any]:
        """The app's bare repository, made on first use: `git push <url> main` deploys."""
        return {"app": app_of(cp, name), "url": str(cp.git.ensure(name))}

    @api.post(
        "/v1/apps/{name}/pushes",
        status_code=202,
        dependencies=[needs(Permission.CHANGE_ENV, env_param=None)],
        response_model=models.Deployment,
    )
    async def push(
        name: str, request: Request, branch: str, git_sha: str | None = None
    ) -> dict[str, Any]:
        """A pushed commit, from the pre-receive hook: deploy it to its branch's environment.
        Declared: may change some environment; checked here: the one the branch maps to."""

        def branch_env(manifest: Manifest) -> str:
            envs = sorted({e.name for e in cp.store.envs(name)} | set(manifest.environments))
            env = environment_for(manifest.git, branch, name, envs)
            authorize(principal_of(request), Permission.CHANGE_ENV, env)
            return env

        fix = "fix the app, commit, then push again"
        source, manifest, state = await received(request, name, fix, branch_env)
        return deployment_json(cp.deployments.deploy(state, source, manifest, git_sha))

    @api.get(
        "/v1/deployments/{dep_id}",
        dependencies=[needs(Permission.READ)],
        response_model=models.Deployment,
    )
    def get_deployment(dep_id: int) -> dict[str, Any]:
        return deployment_json(cp.deployment(dep_id))

    @api.get("/v1/deployments/{dep_id}/events", dependencies=[needs(Permission.READ)])
    def events(dep_id: int, after: int = 0, follow: bool = False) -> StreamingResponse:
        """`{"seq", "at", "kind", "message"}` per line (NDJSON); `follow` until it finishes."""
        cp.deployment(dep_id)
        return ndjson(
            cp.follow_events(dep_id, after)
            if follow
            else (event_json(e) for e in cp.store.events(dep_id, after))
        )

    return api


def ndjson(items: Iterator[dict[str, Any]]) -> StreamingResponse:
    def lines() -> Iterator[bytes]:
        for item in items:
            yield (json.dumps(item) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def app_manifest(source: Path, fix: str) -> Manifest:
    """The uploaded app's manifest, checked to name a buildpack that can build it."""
    try:
        manifest = load_manifest(source)
        detect_kind(source, manifest.build)
    except (ManifestError, BuildError) as exc:
        # said of the app's own files: never name where the server unpacked them
        raise Invalid(str(exc).replace(f"{source}/", "").replace(str(source), "."), fix) from None
    return manifest


async def upload(request: Request, tmp_root: Path) -> Path:
    """The uploaded app directory: the body streamed to disk under a size cap, then checked
    member by member and unpacked in a worker thread, so the API keeps answering meanwhile."""
    archive = await receive(request, tmp_root, UPLOAD_LIMITS)
    try:
        return await run_in_threadpool(unpack, archive, tmp_root, UPLOAD_LIMITS)
    finally:
        archive.unlink(missing_ok=True)
