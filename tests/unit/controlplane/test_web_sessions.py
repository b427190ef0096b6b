"""The dashboard's doors: login with a token kept on the server, an HttpOnly SameSite=Strict
session cookie, CSRF tokens on every form, wrong tokens slowed down, a viewer offered nothing
that changes and refused when it forges a change anyway, logout ending the session."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from tests.unit.controlplane.test_api import AUTH, TOKEN
from tests.unit.controlplane.test_api import client as client
from tests.unit.controlplane.test_api import cp as cp
from tests.unit.controlplane.test_api_roles import token


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
    took = []
    for _ in range(3):
        page = client.get("/login")
        started = time.monotonic()
        wrong = client.post("/login", data={"csrf": csrf_of(page.text), "token": "ld_nope"})
        took.append(time.monotonic() - started)
        assert wrong.status_code == 401 and "That token is not valid" in wrong.text
    assert client.get("/", follow_redirects=False).status_code == 303  # still not logged in
    assert took[2] >= 1.0  # the third waits 2 s (0.5 s, doubling)


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
    assert forged.status_code == 303
    page = browser.get("/")
    assert "may not change an environment" in page.text  # the API's 403, shown


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
