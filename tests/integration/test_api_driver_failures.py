"""When a driver fails (PostgreSQL refuses a statement, HAProxy is gone, the disk is full), every
API route answers with a JSON error and a fix, never a 500: a 500 means a bug in launchdeck.

A real control plane (in process, not started) whose local driver classes all raise; the walk
covers every route the API has, so a new route is walked too.
"""

from __future__ import annotations

import errno
import inspect
import io
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.harness import free_range

from launchdeck.controlplane.http import create_api
from launchdeck.controlplane.http.security import api_routes
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.controlplane.settings import Settings
from launchdeck.domain import BuildRef, Release, ServiceSpec
from launchdeck.drivers.local.addon_errors import AddonQueryFailed
from launchdeck.drivers.local.addons import AddonHost
from launchdeck.drivers.local.driver import LocalDriver
from launchdeck.drivers.local.postgres.cluster import PostgresCluster
from launchdeck.drivers.local.redis.server import RedisServer
from launchdeck.drivers.local.router.haproxy import Router

TOKEN = "owner-token-for-the-walk"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DRIVERS = (AddonHost, LocalDriver, Router, PostgresCluster, RedisServer)
FAILURES = {
    "driver-error": lambda: AddonQueryFailed(
        'role name "pg_staging" is reserved', "rename the role"
    ),
    "disk-full": lambda: OSError(errno.ENOSPC, "No space left on device"),
}
PARAMS = {
    "name": "pg", "env": "staging", "dep_id": "1", "domain": "pg.example.com",
    "action": "promote", "backup_id": "20260101T000000Z", "token_id": "tok-1",
    "flag": "new-checkout", "group": "0123456789abcdef", "incident_id": "1",
    "run_id": "run.v1-00000000", "job": "nightly",
}  # fmt: skip


def _tarball() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b'[services.web]\ncommand = "python -m http.server $PORT"\nport = "$PORT"\n'
        info = tarfile.TarInfo("launchdeck.toml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/apps"): {"json": {"name": "pg2"}},
    ("POST", "/v1/apps/{name}/envs/{env}/rollback"): {"json": {"version": 1}},
    ("POST", "/v1/apps/{name}/envs/{env}/promotions"): {"json": {"from": "production"}},
    ("POST", "/v1/apps/{name}/envs/{env}/scale"): {"json": {"counts": {"web": 2}}},
    ("POST", "/v1/apps/{name}/envs/{env}/scale/plan"): {"json": {"counts": {"web": 2}}},
    ("POST", "/v1/apps/{name}/envs/{env}/restart"): {"json": {}},
    ("PATCH", "/v1/apps/{name}/envs/{env}/config"): {"json": {"set": {"A": "1"}}},
    ("POST", "/v1/apps/{name}/envs/{env}/addons"): {"json": {"kind": "postgres"}},
    ("POST", "/v1/apps/{name}/envs/{env}/domains"): {"json": {"domain": "pg.example.com"}},
    ("POST", "/v1/apps/{name}/envs/{env}/db/restores"): {"json": {"backup": "20260101T000000Z"}},
    ("POST", "/v1/apps/{name}/envs/{env}/db/pulls"): {"json": {"from": "production"}},
    ("POST", "/v1/apps/{name}/envs/{env}/autoscale/resume"): {"json": {}},
    ("PUT", "/v1/settings/backup-target"): {"json": {"bucket": "b", "region": "eu-west-1"}},
    ("POST", "/v1/tokens"): {"json": {"name": "ci", "role": "deployer"}},
    ("POST", "/v1/apps/{name}/envs/{env}/deploys"): {"content": _tarball()},
    ("POST", "/v1/apps/{name}/envs/{env}/deploys/plan"): {"content": _tarball()},
    ("POST", "/v1/apps/{name}/pushes"): {"content": _tarball(), "params": {"branch": "main"}},
    ("DELETE", "/v1/apps/{name}"): {"params": {"confirm": "pg"}},
    ("POST", "/v1/apps/{name}/envs/{env}/flags"): {"json": {"name": "new-checkout"}},
    ("PATCH", "/v1/apps/{name}/envs/{env}/flags/{flag}"): {"json": {"enabled": True}},
    ("POST", "/v1/apps/{name}/envs/{env}/flags/promotions"): {"json": {"from": "production"}},
    ("POST", "/v1/apps/{name}/envs/{env}/runs"): {"json": {"command": "true", "detach": True}},
    ("GET", "/v1/apps/{name}/promotion"): {"params": {"source": "staging", "target": "production"}},
}
LAST = ("/v1/apps/{name}", "/v1/tokens/owner")  # destroy the app, rotate the owner token: last


@pytest.fixture
def plane() -> Iterator[ControlPlane]:
    top = Path(tempfile.mkdtemp(prefix="ld-", dir="/tmp"))
    top.chmod(0o711)  # as root, app accounts must pass through it (as in tests/harness.py)
    low, high = (int(p) for p in free_range().split("-"))
    settings = Settings(
        home=top / "home",
        port_range=(low, high),
        addons_dir=top / "addons",
        apps_dir=top / "apps",
        request_metrics=False,
    )
    cp = ControlPlane(settings)
    cp.store.create_app("pg", ["staging", "production"], time.time())
    web = ServiceSpec("web", "python -m http.server $PORT", port=True)
    build = BuildRef("sha256:" + "0" * 64, "python", time.time())
    cp.store.add_release(Release("pg", "staging", 1, build, {}, {"web": web}, time.time()))
    cp.store.update_env("pg", "staging", lambda env: replace(env, release=1, formation={"web": 1}))
    yield cp
    cp.shutdown()
    cp.store.close()
    shutil.rmtree(top, ignore_errors=True)


def _fail_every_driver_call(monkeypatch: pytest.MonkeyPatch, failure: Any) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise failure()

    for cls in DRIVERS:
        for name, _member in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("__"):
                monkeypatch.setattr(cls, name, fail)


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_no_route_answers_500_when_the_driver_fails(
    plane: ControlPlane, monkeypatch: pytest.MonkeyPatch, failure: Any
) -> None:
    _fail_every_driver_call(monkeypatch, failure)
    client = TestClient(create_api(plane, TOKEN), raise_server_exceptions=False)
    walked = []
    routes = sorted(api_routes(client.app.routes), key=lambda r: r.path in LAST)  # type: ignore[attr-defined]
    for route in routes:
        for method in sorted(route.methods, key=lambda m: m == "DELETE"):
            path = route.path.format(**{k: v for k, v in PARAMS.items() if k in route.path})
            extra = BODIES.get((method, route.path), {})
            response = client.request(method, path, headers=AUTH, **extra)
            walked.append((method, route.path, response.status_code))
            assert response.status_code != 500, (method, path, response.text)
            if response.status_code >= 400 and "json" in response.headers["content-type"]:
                body = response.json()
                assert body["error"] and "fix" in body, (method, path, body)
    assert len(walked) >= 50  # every route, not only the ones that happened to be listed
    # the driver was reached, and its error came back with its message and fix
    failed = [w for w in walked if w[2] in (502, 503)]
    assert failed, walked
