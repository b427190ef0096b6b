"""Dashboard pages over NDJSON lists (a deployment's events, log lines) when the list holds
exactly one entry, which is also a JSON document on its own: the page shows that entry."""

from __future__ import annotations

import time
from dataclasses import replace

from fastapi.testclient import TestClient

from launchdeck.domain import Deployment, DeploymentKind, DeploymentState
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane
from tests.unit.controlplane.test_api import client as client
from tests.unit.controlplane.test_api import cp as cp
from tests.unit.controlplane.test_web_sessions import log_in


def one_event_deployment(cp: FakeControlPlane, state: DeploymentState) -> Deployment:
    now = time.time()
    dep = cp.store.add_deployment(
        Deployment(0, "shop", "staging", DeploymentKind.SCALE, state, now)
    )
    cp.store.add_event(dep.id, now, "started", "scale of shop/staging started")
    return dep


def test_a_deployment_with_one_event_so_far_shows_it(client: TestClient, cp: FakeControlPlane):
    assert client.post("/v1/apps", json={"name": "shop"}, headers=AUTH).is_success
    dep = one_event_deployment(cp, DeploymentState.ROLLING)
    log_in(client, TOKEN)

    page = client.get(f"/deployments/{dep.id}")

    assert page.status_code == 200, page.text
    assert "scale of shop/staging started" in page.text


def test_following_a_deployment_streams_a_lone_new_event(client: TestClient, cp: FakeControlPlane):
    assert client.post("/v1/apps", json={"name": "shop"}, headers=AUTH).is_success
    dep = one_event_deployment(cp, DeploymentState.ROLLING)
    cp.store.save_deployment(replace(dep, state=DeploymentState.SUCCEEDED))
    log_in(client, TOKEN)

    stream = client.get(f"/deployments/{dep.id}/events?after=0")

    assert stream.status_code == 200
    assert '"message": "scale of shop/staging started"' in stream.text
    assert "event: finished" in stream.text
