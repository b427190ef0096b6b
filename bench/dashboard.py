"""The dashboard's apps page with 20 apps x 2 environments: the median time a logged-in GET /
takes, round trip on 127.0.0.1 (the server's time plus well under a millisecond)."""

from __future__ import annotations

import json
import re
import statistics
import time

import httpx
from tests.harness import ControlPlane

APPS = 20
REQUESTS = 30


def measure(cp: ControlPlane) -> dict[str, float]:
    for n in range(APPS):
        cp.cli("apps", "create", f"board{n:02d}")  # staging and production each
    api = json.loads((cp.home / "api.json").read_text())
    with httpx.Client(base_url=api["url"], follow_redirects=False) as browser:
        page = browser.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        browser.post("/login", data={"csrf": csrf.group(1), "token": api["token"]})
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            answer = browser.get("/")
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200 and "board19" in answer.text
    return {"dashboard_apps_page_ms": statistics.median(times)}
