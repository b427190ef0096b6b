"""The dashboard's doors: login with a token kept on the server, an HttpOnly SameSite=Strict
session cookie, CSRF tokens on every form, wrong tokens slowed down, a viewer offered nothing
that changes and refused when it forges a change anyway, logout ending the session."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from launchdeck.controlplane.web.sessions import Sessions
from tests.clock import ManualClock
from tests.unit.controlplane.test_api import AUTH, TOKEN
from tests.unit.controlplane.test_api import client as client
from tests.unit.controlplane.test_api import cp as cp
from tests.unit.controlplane.test_api_roles import token


def web_sessions(client: TestClient) -> Sessions:
    """The dashboard's sessions, from the app mounted at / (for the login throttle)."""
    web = next(r.app for r in client.app.routes if getattr(r, "path", None) == "")
    return web.state.sessions


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def log_in(client: TestClient, secret: str) -> TestClient:
    page = client.get("/login")
    response = client.post(
        "/login", data={"csrf": csrf_of(page.text), "token": secret}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def test_login_sets_a_strict_httponly_cookie_and_never_shows_the_token(client: TestClient):
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    page = client.get("/login")
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    before = client.cookies["launchdeck_session"]
    response = client.post(
        "/login", data={"csrf": csrf_of(page.text), "token": TOKEN}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert client.cookies["launchdeck_session"] != before  # a new session id once logged in
    apps = client.get("/")
    assert apps.status_code == 200 and "owner (admin)" in apps.text
    assert TOKEN not in apps.text


def test_a_wrong_token_cannot_log_in_and_repeated_ones_are_slowed_down(client: TestClient):
    sessions = web_sessions(client)
    for _ in range(2):
        page = client.get("/login")
        wrong = client.post("/login", data={"csrf": csrf_of(page.text), "token": "ldt_nope"})
        assert wrong.status_code == 401 and "That token is not valid" in wrong.text
    assert client.get("/", follow_redirects=False).status_code == 303  # still not logged in
    assert sessions.delay_for("testclient") == 1.0  # the next login waits: 0.5 s, doubling
    log_in(client, TOKEN)
    assert sessions.delay_for("testclient") == 0.0  # a good token clears it


def test_wrong_tokens_cost_more_each_time_up_to_a_cap_and_are_forgotten():
    clock = ManualClock(1000.0)
    sessions = Sessions(clock)
    delays = []
    for _ in range(6):
        sessions.failed("10.0.0.9")
        delays.append(sessions.delay_for("10.0.0.9"))
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert sessions.delay_for("10.0.0.10") == 0.0  # another address is not slowed
    clock.advance(901)
    assert sessions.delay_for("10.0.0.9") == 0.0


def test_a_form_without_the_csrf_token_is_refused(client: TestClient):
    log_in(client, TOKEN)
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    forged = client.post("/apps/shop/staging/scale", data={"count.web": "3"})
    assert forged.status_code == 403 and "CSRF" in forged.text
    login_forged = TestClient(client.app).post("/login", data={"token": TOKEN})
    assert login_forged.status_code == 403


def test_a_viewer_sees_no_controls_and_a_forged_change_is_refused(client: TestClient):
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    viewer = token(client, "viewer", "watcher")["Authorization"].split()[1]
    browser = log_in(TestClient(client.app), viewer)
    home = browser.get("/")
    assert "watcher (viewer)" in home.text
    csrf = csrf_of(home.text)
    forged = browser.post(
        "/apps/shop/staging/scale", data={"csrf": csrf, "count.web": "3"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert "may not change an environment" in forged.text  # the API's refusal, shown


def test_logout_ends_the_session(client: TestClient):
    log_in(client, TOKEN)
    home = client.get("/")
    session = client.cookies["launchdeck_session"]
    out = client.post("/logout", data={"csrf": csrf_of(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = TestClient(client.app, cookies={"launchdeck_session": session})
    assert replay.get("/", follow_redirects=False).headers["location"] == "/login"


def test_the_apps_page_lists_every_app_and_environment_from_one_api_call(client: TestClient):
    for n in range(20):
        assert client.post("/v1/apps", json={"name": f"app{n:02d}"}, headers=AUTH).is_success
    log_in(client, TOKEN)
    page = client.get("/")
    rows = re.findall(r'<a href="/apps/(app\d\d)/(staging|production)">', page.text)
    assert len(rows) == 40 and rows[:2] == [("app00", "staging"), ("app00", "production")]


def test_a_name_that_is_not_one_never_becomes_an_api_path(client: TestClient):
    log_in(client, TOKEN)
    csrf = csrf_of(client.get("/").text)
    for path in ("/apps/%2E%2E/tokens/scale", "/apps/shop/%2E%2E/restart"):
        assert client.post(path, data={"csrf": csrf}).status_code == 404
    assert client.get("/apps/%2E%2E/staging").status_code == 404
