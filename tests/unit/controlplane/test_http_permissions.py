"""Every route of the API declares the permission it needs, and this is the whole table: a new
route without `needs(...)` stops the API from starting, and one with a permission not listed
here fails this test until someone decides, in review, that it is right."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI

from launchdeck.controlplane.access.auth import Permission
from launchdeck.controlplane.http import create_api
from launchdeck.controlplane.http.security import api_routes, check_declared, declared, needs
from tests.unit.controlplane.test_api import TOKEN, FakeControlPlane

P = Permission
ENV = "/v1/apps/{name}/envs/{env}"
EXPECTED = {
    ("GET", "/v1/status"): (P.READ, "env"),
    ("POST", "/v1/apps"): (P.CREATE_APP, None),
    ("GET", "/v1/apps"): (P.READ, "env"),
    ("GET", "/v1/apps/{name}"): (P.READ, "env"),
    ("DELETE", "/v1/apps/{name}"): (P.DESTROY_APP, None),
    ("GET", ENV): (P.READ, "env"),
    ("POST", f"{ENV}/deploys"): (P.CHANGE_ENV, "env"),
    ("POST", f"{ENV}/deploys/plan"): (P.CHANGE_ENV, "env"),
    ("POST", "/v1/apps/{name}/git"): (P.CHANGE_ENV, None),
    ("POST", "/v1/apps/{name}/pushes"): (P.CHANGE_ENV, None),  # + the branch's env, inside
    ("GET", "/v1/deployments/{dep_id}"): (P.READ, "env"),
    ("GET", "/v1/deployments/{dep_id}/events"): (P.READ, "env"),
    ("GET", f"{ENV}/releases"): (P.READ, "env"),
    ("POST", f"{ENV}/rollback"): (P.CHANGE_ENV, "env"),
    ("GET", "/v1/apps/{name}/promotion"): (P.READ, "env"),
    ("POST", f"{ENV}/promotions"): (P.PROMOTE, "env"),
    ("GET", f"{ENV}/instances"): (P.READ, "env"),
    ("GET", f"{ENV}/queues"): (P.READ, "env"),
    ("POST", f"{ENV}/scale"): (P.CHANGE_ENV, "env"),
    ("POST", f"{ENV}/scale/plan"): (P.CHANGE_ENV, "env"),
    ("POST", f"{ENV}/restart"): (P.CHANGE_ENV, "env"),
    ("GET", f"{ENV}/logs"): (P.READ, "env"),
    ("GET", f"{ENV}/metrics"): (P.READ, "env"),
    ("GET", f"{ENV}/alerts"): (P.READ, "env"),
    ("GET", "/metrics"): (P.READ, None),
    ("GET", f"{ENV}/config"): (P.READ, "env"),  # + REVEAL_SECRETS inside, when revealing
    ("PATCH", f"{ENV}/config"): (P.CHANGE_ENV, "env"),
    ("GET", f"{ENV}/addons"): (P.READ, "env"),
    ("POST", f"{ENV}/addons"): (P.CHANGE_ENV, "env"),
    ("GET", f"{ENV}/domains"): (P.READ, "env"),
    ("POST", f"{ENV}/domains"): (P.CHANGE_ENV, "env"),
    ("DELETE", f"{ENV}/domains/{{domain}}"): (P.CHANGE_ENV, "env"),
    ("GET", f"{ENV}/autoscale"): (P.READ, "env"),
    ("POST", f"{ENV}/autoscale/resume"): (P.CHANGE_ENV, "env"),
    ("GET", f"{ENV}/canary"): (P.READ, "env"),
    ("POST", f"{ENV}/canary/{{action}}"): (P.CHANGE_ENV, "env"),
    ("GET", f"{ENV}/db/backups"): (P.MANAGE_DATABASE, "env"),
    ("POST", f"{ENV}/db/backups"): (P.MANAGE_DATABASE, "env"),
    ("POST", f"{ENV}/db/backups/{{backup_id}}/verify"): (P.MANAGE_DATABASE, "env"),
    ("POST", f"{ENV}/db/restores"): (P.MANAGE_DATABASE, "env"),
    ("POST", f"{ENV}/db/pulls"): (P.MANAGE_DATABASE, "env"),  # + the source's, inside
    ("GET", "/v1/db/prune"): (P.PRUNE_DATABASES, None),
    ("POST", "/v1/db/prune"): (P.PRUNE_DATABASES, None),
    ("GET", "/v1/settings/backup-target"): (P.MANAGE_SETTINGS, None),
    ("PUT", "/v1/settings/backup-target"): (P.MANAGE_SETTINGS, None),
    ("DELETE", "/v1/settings/backup-target"): (P.MANAGE_SETTINGS, None),
    ("POST", "/v1/tokens"): (P.MANAGE_TOKENS, None),
    ("GET", "/v1/tokens"): (P.MANAGE_TOKENS, None),
    ("POST", "/v1/tokens/owner"): (P.MANAGE_TOKENS, None),
    ("DELETE", "/v1/tokens/{token_id}"): (P.MANAGE_TOKENS, None),
    ("GET", "/v1/audit"): (P.READ_AUDIT, None),
    ("GET", f"{ENV}/flags"): (P.READ, "env"),
    ("POST", f"{ENV}/flags"): (P.CHANGE_ENV, "env"),
    ("POST", f"{ENV}/flags/promotions"): (P.PROMOTE, "env"),  # + reading the source, inside
    ("GET", f"{ENV}/flags/{{flag}}"): (P.READ, "env"),
    ("PATCH", f"{ENV}/flags/{{flag}}"): (P.CHANGE_ENV, "env"),
    ("DELETE", f"{ENV}/flags/{{flag}}"): (P.CHANGE_ENV, "env"),
    ("GET", f"{ENV}/errors"): (P.READ, "env"),
    ("GET", f"{ENV}/errors/{{group}}"): (P.READ, "env"),
    ("POST", f"{ENV}/errors/{{group}}/{{action}}"): (P.CHANGE_ENV, "env"),
    ("GET", f"{ENV}/incidents"): (P.READ, "env"),
    ("POST", f"{ENV}/incidents/{{incident_id}}/resolve"): (P.CHANGE_ENV, "env"),
    ("POST", f"{ENV}/runs"): (P.RUN, "env"),  # + --yes in production, inside, unless admin
    ("GET", f"{ENV}/runs"): (P.READ, "env"),
    ("GET", f"{ENV}/runs/{{run_id}}"): (P.READ, "env"),
    ("POST", f"{ENV}/runs/{{run_id}}/stop"): (P.RUN, "env"),
    ("GET", f"{ENV}/cron"): (P.READ, "env"),
    ("GET", f"{ENV}/cron/runs"): (P.READ, "env"),
    ("POST", f"{ENV}/cron/{{job}}/trigger"): (P.RUN, "env"),
}


def test_every_route_declares_the_permission_in_this_table(tmp_path: Path) -> None:
    cp = FakeControlPlane(tmp_path / "home")
    app = create_api(cp, TOKEN)  # type: ignore[arg-type]

    found = {}
    for route in api_routes(app.routes):
        [need] = declared(route)
        for method in route.methods:
            found[(method, route.path)] = (need.permission, need.env_param)

    assert found == EXPECTED
    cp.store.close()


def test_a_route_without_a_declared_permission_stops_the_api_from_starting() -> None:
    app = FastAPI()
    api = APIRouter()

    @api.get("/v1/ok", dependencies=[needs(Permission.READ)])
    def ok() -> None: ...

    @api.post("/v1/forgotten")
    def forgotten() -> None: ...

    app.include_router(api)

    with pytest.raises(RuntimeError) as stopped:
        check_declared(app.routes)

    assert str(stopped.value) == "routes without exactly one needs(...): ['POST'] /v1/forgotten"


def test_a_deployer_runs_in_production_only_when_confirming(tmp_path: Path) -> None:
    """`launchdeck run` in a protected environment needs an admin, or --yes; it is refused
    before anything is recorded or started."""
    import time
    from dataclasses import replace

    from launchdeck.controlplane.access.auth import Principal, Role
    from launchdeck.controlplane.errors import Forbidden
    from launchdeck.controlplane.runs.service import Runs
    from launchdeck.domain import BuildRef, Release

    cp = FakeControlPlane(tmp_path / "home")
    cp.store.create_app("shop", ["production"], time.time())
    build = BuildRef("sha256:" + "0" * 64, "python", 0.0)
    cp.store.add_release(Release("shop", "production", 1, build, {}, {}, time.time()))
    env = cp.store.update_env("shop", "production", lambda e: replace(e, release=1))
    runs = Runs(cp.store, None, None)  # type: ignore[arg-type]  # never reached: refused first
    with pytest.raises(Forbidden) as refused:
        runs.create(env, "true", Principal("mallory", Role.DEPLOYER), detach=True, tty=False,
                    yes=False)  # fmt: skip
    assert refused.value.fix == "add --yes: launchdeck run --yes --app shop --env production -- ..."
    assert cp.store.runs("shop", "production") == [] and cp.store.audit() == []
    cp.store.close()
