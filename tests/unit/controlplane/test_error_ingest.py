"""The Sentry SDK endpoints and triage behind them, with the real SDK's envelopes: events are
grouped and counted; a wrong key, a body over the cap, a malformed envelope or a burst over the
limit is refused with nothing stored; a regression opens one incident, posted once."""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.errortracking.ingest import MAX_BODY
from launchdeck.controlplane.errortracking.store import ErrorStore, Status
from launchdeck.controlplane.errortracking.tracker import ErrorTracker, rollback_command
from launchdeck.controlplane.http import create_api
from launchdeck.domain import BuildRef, Release
from tests.sentry_events import envelopes_of, reported
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane


@dataclass
class RecordingNotifier:
    sent: list[tuple[list[str], Any]] = field(default_factory=list)

    def send(self, urls: list[str], notice: Any) -> None:
        self.sent.append((urls, notice))


def divide(by: int) -> float:
    return 1 / by


def price(sku: str) -> int:
    return {"tea": 4}[sku]


@pytest.fixture
def cp(tmp_path: Path):
    plane = FakeControlPlane(tmp_path / "home")
    plane.store.create_app("shop", ["staging", "production"], time.time())
    plane.notifier = RecordingNotifier()
    plane.errors = ErrorTracker(
        ErrorStore(tmp_path / "home" / "errors.db"), plane.store, plane.notifier, lambda *_: 0
    )
    yield plane
    plane.store.close()


@pytest.fixture
def client(cp: FakeControlPlane) -> TestClient:
    return TestClient(create_api(cp, TOKEN))  # type: ignore[arg-type]


def release(cp: FakeControlPlane, version: int, webhook: str = "http://127.0.0.1:9/hook") -> None:
    """Make vN the environment's current release (with a webhook in its [notify])."""
    from launchdeck.domain.models import NotifySpec

    build = BuildRef("sha256:" + "0" * 64, "python", 0.0)
    made = Release("shop", "staging", version, build, {}, {}, time.time(),
                   notify=NotifySpec((webhook,)))  # fmt: skip
    cp.store.add_release(made)
    cp.store.update_env("shop", "staging", lambda env: replace(env, release=version))
    cp.errors._contexts.clear()  # as after CACHE_FOR seconds


def send(client: TestClient, cp: FakeControlPlane, envelopes: list[bytes], **kw: Any) -> list[int]:
    project = cp.errors.store.project_for("shop", "staging")
    key = kw.pop("key", project.public_key)
    statuses = []
    for body in envelopes:
        response = client.post(
            f"/api/{project.id}/envelope/",
            content=gzip.compress(body),
            headers={"Content-Encoding": "gzip",
                     "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"},
        )  # fmt: skip
        statuses.append(response.status_code)
    return statuses


def groups(client: TestClient) -> list[dict[str, Any]]:
    listing = client.get("/v1/apps/shop/envs/staging/errors?everything=true", headers=AUTH)
    return list(listing.json()["groups"])


def raising(fn: Any, arg: Any, times: int, version: str) -> list[bytes]:
    def action() -> None:
        for _ in range(times):
            reported(fn, arg)()

    return envelopes_of(action, release=version)


def test_two_exceptions_are_two_groups_with_their_counts_and_release(
    client: TestClient, cp: FakeControlPlane
) -> None:
    release(cp, 1)
    sent = raising(divide, 0, 100, "v1") + raising(price, "cake", 3, "v1")
    assert set(send(client, cp, sent)) == {200}
    found = sorted(groups(client), key=lambda g: -g["count"])
    assert [(g["count"], g["first_release"]) for g in found] == [(100, "v1"), (3, "v1")]
    assert found[0]["title"] == "ZeroDivisionError: division by zero"

    release(cp, 2)  # the same exception from a later release: the same group
    send(client, cp, raising(price, "cake", 2, "v2"))
    after = {g["key"]: g for g in groups(client)}
    assert len(after) == 2 and after[found[1]["key"]]["count"] == 5
    assert after[found[1]["key"]]["last_release"] == "v2"


def test_a_resolved_group_seen_in_a_later_release_is_a_p1_incident_posted_once(
    client: TestClient, cp: FakeControlPlane
) -> None:
    release(cp, 1)
    send(client, cp, raising(price, "cake", 1, "v1"))
    [group] = groups(client)
    incidents_before = len(cp.notifier.sent)
    resolved = client.post(
        f"/v1/apps/shop/envs/staging/errors/{group['key'][:6]}/resolve", headers=AUTH
    )
    assert resolved.json()["status"] == Status.RESOLVED

    send(client, cp, raising(price, "cake", 1, "v1"))  # the release it was resolved in: quiet
    assert groups(client)[0]["status"] == Status.RESOLVED
    release(cp, 2)
    send(client, cp, raising(price, "cake", 3, "v2"))
    [again] = groups(client)
    assert (again["status"], again["regressed"], again["priority"]) == ("unresolved", True, "P1")
    pages = cp.notifier.sent[incidents_before:]
    assert len(pages) == 1
    urls, notice = pages[0]
    assert urls == ["http://127.0.0.1:9/hook"]
    text = notice.payload()["text"]
    assert "P1 incident" in text and "KeyError" in text
    assert "launchdeck rollback v1 --app shop --env staging" in str(notice.payload())
    [incident] = client.get("/v1/apps/shop/envs/staging/incidents", headers=AUTH).json()
    assert (incident["priority"], incident["release"]) == ("P1", "v2")
    done = client.post(f"/v1/apps/shop/envs/staging/incidents/{incident['id']}/resolve",
                       headers=AUTH)  # fmt: skip
    assert done.status_code == 200
    assert client.get("/v1/apps/shop/envs/staging/incidents", headers=AUTH).json() == []


def test_an_ignored_group_is_counted_but_never_paged(
    client: TestClient, cp: FakeControlPlane
) -> None:
    release(cp, 1)
    send(client, cp, raising(divide, 0, 1, "v1"))
    [group] = groups(client)
    client.post(f"/v1/apps/shop/envs/staging/errors/{group['key']}/ignore", headers=AUTH)
    pages = len(cp.notifier.sent)
    send(client, cp, raising(divide, 0, 120, "v1"))  # P1 by count, but ignored
    assert groups(client)[0]["count"] == 121 and len(cp.notifier.sent) == pages


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{}\n{bad json", {}, 400),
        (b'{}\n{"type":"event","length":100}\n{"short":1}', {}, 400),
        (b"x" * (MAX_BODY + 1), {}, 413),
        (gzip.compress(b"{}\n" + b" " * (MAX_BODY + 10)), {"Content-Encoding": "gzip"}, 413),
        (b"{}\n", {"Content-Encoding": "zstd"}, 415),
    ],
    ids=["bad-json", "truncated", "over-the-cap", "zip-bomb", "encoding"],
)
def test_bad_bodies_are_refused_and_store_nothing(
    client: TestClient, cp: FakeControlPlane, body: bytes, headers: dict, status: int
) -> None:
    project = cp.errors.store.project_for("shop", "staging")
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}"}
    response = client.post(f"/api/{project.id}/envelope/", content=body, headers=auth | headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] and response.json()["fix"]
    assert groups(client) == []


def test_one_malformed_event_stores_none_of_its_envelope(
    client: TestClient, cp: FakeControlPlane
) -> None:
    good = b'{"type":"event"}\n{"message":"fine"}\n'
    bad = b'{"type":"event"}\n{"exception":{"values":[{"type":["not","a","string"]}]}}\n'
    project = cp.errors.store.project_for("shop", "staging")
    response = client.post(
        f"/api/{project.id}/envelope/?sentry_key={project.public_key}", content=b"{}\n" + good + bad
    )
    assert response.status_code == 400 and groups(client) == []


def test_a_wrong_key_or_project_is_a_401_and_stores_nothing(
    client: TestClient, cp: FakeControlPlane
) -> None:
    other = cp.errors.store.project_for("shop", "production")
    envelopes = raising(divide, 0, 1, "v1")
    assert send(client, cp, envelopes, key=other.public_key) == [401]  # production's key
    assert client.post("/api/999/store/", content=b"{}").status_code == 401
    assert groups(client) == []


def test_the_legacy_store_endpoint_and_a_key_in_the_query(
    client: TestClient, cp: FakeControlPlane
) -> None:
    project = cp.errors.store.project_for("shop", "staging")
    stored = client.post(
        f"/api/{project.id}/store/?sentry_key={project.public_key}",
        json={"message": "order 42 failed", "release": "v1"},
    )
    assert stored.status_code == 200 and len(stored.json()["id"]) == 32
    assert [g["title"] for g in groups(client)] == ["order 42 failed"]


def test_a_burst_over_the_limit_is_told_when_to_retry(
    client: TestClient, cp: FakeControlPlane
) -> None:
    project = cp.errors.store.project_for("shop", "staging")
    body = b"{}\n" + b'{"type":"event"}\n{"message":"m"}\n' * 1200
    url = f"/api/{project.id}/envelope/?sentry_key={project.public_key}"
    assert client.post(url, content=body).status_code == 200
    limited = client.post(url, content=body)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert groups(client)[0]["count"] == 1200


def test_the_rollback_command_names_the_release_before() -> None:
    assert rollback_command("shop", "production", "v7") == (
        "launchdeck rollback v6 --app shop --env production"
    )
    assert rollback_command("shop", "production", "v1") == (
        "launchdeck rollback --app shop --env production"
    )


def test_an_apps_error_text_cannot_ping_a_channel_through_the_webhook(
    client: TestClient, cp: FakeControlPlane
) -> None:
    """Event text is the app's (untrusted): in the Slack message it is text, not markup."""
    release(cp, 1)
    project = cp.errors.store.project_for("shop", "staging")
    client.post(
        f"/api/{project.id}/store/?sentry_key={project.public_key}",
        json={"message": "<!channel> <https://evil.example|click> & more", "release": "v1",
              "request": {"url": "http://x/checkout/pay"}},
    )  # fmt: skip
    cp.errors._contexts.clear()
    rules = replace(cp.store.release("shop", "staging", 1).triage, critical_paths=("/checkout*",))
    made = replace(cp.store.release("shop", "staging", 1), version=2, triage=rules)
    cp.store.add_release(made)
    cp.store.update_env("shop", "staging", lambda env: replace(env, release=2))
    client.post(
        f"/api/{project.id}/store/?sentry_key={project.public_key}",
        json={"message": "<!channel> <https://evil.example|click> & more", "release": "v2",
              "request": {"url": "http://x/checkout/pay"}},
    )  # fmt: skip
    [(_, notice)] = cp.notifier.sent
    shown = json.dumps(notice.payload())
    assert "<!channel>" not in shown and "<https://" not in shown
    assert "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more" in shown
    assert notice.incident.priority == "P0"  # on a critical path
