"""The browser tests' own plumbing: a page served over loopback loads in Debian's headless
Chromium, answers a click through its inline script, and screenshots at the viewport's size.

The HTTP server started here is shut down and closed after the test.
"""

from __future__ import annotations

import functools
import struct
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

INDEX = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>launchdeck smoke</title></head>
<body>
  <form onsubmit="return false">
    <label for="app">App name</label>
    <input id="app" value="web">
    <button type="button"
      onclick="document.getElementById('status').textContent =
        'Deploying ' + document.getElementById('app').value">Deploy</button>
  </form>
  <p id="status">Idle</p>
</body>
</html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a line per request on stderr would bury pytest's own output


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The base URL of a loopback HTTP server on a free port, serving INDEX as /index.html."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(INDEX, encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="smoke-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])  # IHDR, the first chunk
    return width, height


def test_page_loads_answers_a_click_and_screenshots(page: Page, site: str, tmp_path: Path) -> None:
    response = page.goto(f"{site}/index.html")
    assert response is not None and response.status == 200
    expect(page).to_have_title("launchdeck smoke")
    expect(page.locator("#status")).to_have_text("Idle")

    page.get_by_label("App name").fill("shop")
    page.get_by_role("button", name="Deploy").click()
    expect(page.locator("#status")).to_have_text("Deploying shop")

    shot = tmp_path / "smoke.png"
    page.screenshot(path=shot)
    assert png_size(shot.read_bytes()) == (1280, 800)
