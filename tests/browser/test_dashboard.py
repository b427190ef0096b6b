"""The dashboard in a real browser, against a real control plane: log in with a token, see the
app a test deployed, scale it and watch the deployment's events arrive live, set a secret config
var and read it masked, roll back from the releases list, log out; a viewer is offered none of
it. Each step checks what the page shows and what the API then reports. Screenshots of the main
pages are taken on the way: `make screenshots` writes them to docs/screenshots/ (the README shows
them); otherwise they go to the test's temporary directory."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import failed
from tests.harness import ROOT, ControlPlane, copy_example, make_control_plane

SCREENSHOTS = "LAUNCHDECK_SCREENSHOTS"  # a directory: `make screenshots` sets docs/screenshots


@pytest.fixture
def cp(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ControlPlane]:
    plane = make_control_plane(tmp_path)
    plane.start()
    try:
        yield plane
    finally:
        if failed(request):  # a page that went wrong: the traceback is in the server's log
            print(plane.log_tail())
        plane.stop_everything()


def dashboard(cp: ControlPlane) -> tuple[str, str]:
    """The dashboard's URL and the owner's token."""
    api = json.loads((cp.home / "api.json").read_text())
    return api["url"].rstrip("/"), api["token"]


def log_in(page: Page, url: str, token: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Apps")).to_be_visible()


def shoot(page: Page, name: str, tmp_path: Path) -> None:
    where = Path(os.environ.get(SCREENSHOTS) or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(where / f"{name}.png"), full_page=True)


def wait_for_success(page: Page, cp: ControlPlane) -> None:
    """The deployment page's events list grows live until the deployment succeeds. The API
    says when it ended (a deploy on a busy machine may take long); the page must then show it
    within seconds, from the events it followed."""
    expect(page).to_have_url(re.compile(r"/deployments/\d+$"))
    url, token = dashboard(cp)
    path = f"{url}/v1/deployments/{page.url.rsplit('/', 1)[1]}"
    deadline = time.monotonic() + 240
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, trust_env=False) as api:
        while not (dep := api.get(path).json())["finished"] and time.monotonic() < deadline:
            time.sleep(0.5)
    assert dep["state"] == "succeeded", dep
    expect(page.locator("#events li.succeeded")).to_have_count(1, timeout=15_000)
    expect(page.locator("#state")).to_have_text("succeeded")


def test_an_admin_operates_an_app_from_the_dashboard(cp: ControlPlane, page: Page, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    url, token = dashboard(cp)

    page.goto(url)
    expect(page).to_have_url(f"{url}/login")
    shoot(page, "login", tmp_path)
    log_in(page, url, token)
    row = page.get_by_role("row", name="hello staging").first
    expect(row).to_contain_text("v1")
    expect(row).to_contain_text("3/3")
    assert token not in page.content()
    shoot(page, "apps", tmp_path)

    page.get_by_role("link", name="Promote to production").click()
    expect(page.get_by_role("heading", name="Promote hello: staging → production")).to_be_visible()
    expect(page.locator("main")).to_contain_text("(its first release)")
    shoot(page, "promote", tmp_path)
    page.get_by_role("button", name="Promote to production").click()
    wait_for_success(page, cp)
    production = cp.cli("status", "--app", "hello", "-e", "production", "--json").json()
    staging = cp.cli("status", "--app", "hello", "--json").json()
    assert production["release"] == "v1" and production["build"] == staging["build"]

    page.goto(url)
    page.get_by_role("link", name="staging").click()
    expect(page.get_by_role("heading", name="hello staging")).to_be_visible()
    page.get_by_label("web").fill("3")
    page.get_by_role("button", name="Scale").click()
    expect(page.get_by_text("Scaling")).to_be_visible()
    # the page came while the deployment ran (it follows its events), and they arrive live
    expect(page.locator("#events")).to_have_attribute("data-follow", re.compile(r"^/deploy"))
    wait_for_success(page, cp)
    shoot(page, "deployment", tmp_path)
    ps = cp.cli("ps", "--app", "hello", "--json").json()
    assert [i["service"] for i in ps if i["state"] == "running"].count("web") == 3

    page.goto(f"{url}/apps/hello/staging")
    page.get_by_label("Name").fill("GREETING")
    page.get_by_label("Value").fill("hunter2")
    page.get_by_label("secret").check()
    page.get_by_role("button", name="Set").click()
    wait_for_success(page, cp)
    page.goto(f"{url}/apps/hello/staging")
    config = page.locator("section", has=page.get_by_role("heading", name="Config vars"))
    config_row = config.get_by_role("row", name="GREETING")
    expect(config_row).to_contain_text("secret")
    assert "hunter2" not in page.content()
    assert cp.get("hello")[1]["greeting"] == "hunter2"  # the app got the real value
    shoot(page, "environment", tmp_path)
    page.get_by_role("link", name="Reveal secret values").click()
    expect(config.get_by_role("row", name="GREETING")).to_contain_text("hunter2")
    audit = cp.cli("audit", "--json").json()
    assert any("config?reveal=true" in e["action"] and e["who"] == "owner" for e in audit)
    page.goto(f"{url}/apps/hello/staging")

    page.get_by_role("button", name="Roll back to v1").click()
    wait_for_success(page, cp)
    status = cp.cli("status", "--app", "hello", "--json").json()
    assert status["release"] == "v3" and cp.get("hello")[1]["greeting"] == ""

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{url}/login")
    page.goto(url)
    expect(page).to_have_url(f"{url}/login")


def test_a_viewer_is_offered_nothing_that_changes(cp: ControlPlane, page: Page, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    url, _ = dashboard(cp)
    viewer = cp.cli("tokens", "create", "--role", "viewer", "--name", "watcher", "--json")
    log_in(page, url, viewer.json()["token"])
    page.get_by_role("link", name="staging").click()
    expect(page.get_by_role("heading", name="hello staging")).to_be_visible()
    for button in ("Scale", "Restart all", "Set"):
        expect(page.get_by_role("button", name=button)).to_have_count(0)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_logs_tail_live_filtered_and_coloured_by_level(cp: ControlPlane, page: Page, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    url, token = dashboard(cp)
    log_in(page, url, token)
    page.goto(f"{url}/apps/hello/staging")
    page.get_by_role("link", name="Logs").click()
    expect(page.locator("#lines")).to_contain_text("listening on port", timeout=20_000)

    page.get_by_label("Service").fill("web")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#lines")).not_to_contain_text("worker started")
    cp.get("hello", path="/_traceback")  # the app logs an error line, now
    error = page.locator("#lines li.error", has_text="Traceback")
    expect(error).to_have_count(1, timeout=20_000)  # arrived live, marked as an error
    shoot(page, "logs", tmp_path)


def test_metrics_chart_the_requests_and_list_the_alerts(cp: ControlPlane, page: Page, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    for _ in range(30):
        assert cp.get("hello")[0] == 200
    url, token = dashboard(cp)
    log_in(page, url, token)
    page.goto(f"{url}/apps/hello/staging")
    page.get_by_role("link", name="Metrics").click()
    web = page.locator("section", has=page.get_by_role("heading", name="web", exact=True))
    expect(web.locator("figure", has_text="requests/s").locator("polyline")).to_have_count(1)
    alerts = page.locator("section", has=page.get_by_role("heading", name="Alerts"))
    expect(alerts).to_contain_text("crash-loop")
    page.get_by_role("link", name="24h").click()
    expect(page.get_by_text("24h", exact=True)).to_be_visible()
    shoot(page, "metrics", tmp_path)


def test_an_admin_makes_and_revokes_a_token_and_reads_the_audit(
    cp: ControlPlane, page: Page, tmp_path
):
    url, token = dashboard(cp)
    log_in(page, url, token)
    page.get_by_role("link", name="Tokens and audit").click()
    page.get_by_label("Holder").fill("carol")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Create token").click()
    made = page.locator("#new-token").inner_text()
    assert made.startswith("ldt_")
    listed = cp.cli("tokens", "list", "--json").json()
    assert [t["name"] for t in listed if not t["revoked_at"]] == ["carol"]
    page.reload()
    assert made not in page.content()  # shown once

    carol = page.context.browser.new_page()
    log_in(carol, url, made)
    page.get_by_role("button", name="Revoke carol").click()
    expect(page.get_by_text("Revoked token")).to_be_visible()
    audit = page.locator("section", has=page.get_by_role("heading", name="Audit log"))
    expect(audit).to_contain_text("POST /v1/tokens")
    shoot(page, "access", tmp_path)
    carol.reload()  # a revoked token's session ends with it
    expect(carol).to_have_url(f"{url}/login")
    carol.close()


def test_back_up_now_from_the_dashboard(cp: ControlPlane, page: Page, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("addons", "create", "postgres", "--app", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    url, token = dashboard(cp)
    log_in(page, url, token)
    page.goto(f"{url}/apps/hello/staging")
    expect(page.locator("main")).to_contain_text("postgres")
    page.get_by_role("button", name="Back up now").click()
    expect(page.get_by_text("Backup taken and verified")).to_be_visible(timeout=60_000)
    backups = page.locator("section", has=page.get_by_role("heading", name="Add-ons"))
    expect(backups.get_by_role("cell", name="verified")).to_have_count(1)
    listed = cp.cli("db", "backups", "--app", "hello", "--json").json()["backups"]
    assert [b["status"] for b in listed] == ["verified"]


def test_the_environment_page_shows_what_waits_in_a_workers_queue(
    cp: ControlPlane, page: Page, tmp_path
):
    """examples/queue with its worker scaled to 0: the jobs the web enqueues wait, and the page
    says how many, as `ps` does."""
    app = tmp_path / "queue"
    shutil.copytree(ROOT / "examples" / "queue", app)
    cp.cli("apps", "create", "queue")
    cp.cli("deploy", str(app), "--app", "queue", timeout=300)
    cp.cli("scale", "worker=0", "--app", "queue")
    deadline = time.monotonic() + 30  # the old worker stops after the scale reports
    while any(i["service"] == "worker" for i in cp.cli("ps", "--app", "queue", "--json").json()):
        assert time.monotonic() < deadline, "the worker never stopped"
        time.sleep(0.2)
    conn = http.client.HTTPConnection("127.0.0.1", cp.http_port, timeout=10)
    conn.request("POST", "/jobs?n=25", headers={"Host": "queue-staging.localhost"})
    assert conn.getresponse().status == 202
    url, token = dashboard(cp)
    log_in(page, url, token)
    page.goto(f"{url}/apps/queue/staging")
    expect(page.locator("p.queue")).to_have_text(
        "worker queue redis:///dramatiq:default: 25 waiting"
    )


def test_pages_read_without_javascript_and_fit_a_phone(cp: ControlPlane, page: Page, tmp_path):
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    url, token = dashboard(cp)
    phone = page.context.browser.new_context(
        viewport={"width": 375, "height": 740}, java_script_enabled=False
    )
    small = phone.new_page()
    try:
        log_in(small, url, token)
        for path in ("/", "/apps/hello/staging", "/apps/hello/staging/logs", "/access"):
            small.goto(f"{url}{path}")
            expect(small.locator("main")).not_to_be_empty()
            width = small.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width}px wide"
        small.goto(f"{url}/apps/hello/staging")
        expect(small.get_by_role("button", name="Scale")).to_be_visible()
    finally:
        phone.close()
