"""Browser tests: Playwright drives a real headless Chromium, Debian's `chromium` package that
scripts/setup installs, given by executable_path. Never a browser of Playwright's own: its
download (`playwright install`) comes from a CDN that developers' machines and CI can't reach.

Each test process launches one browser (`chromium`) for the tests in this package; each test gets
a context and page of its own (`page`), so cookies and storage never leak between tests. Every
test here is marked `browser` (`pytest -m "not browser"` leaves them out).

The browser is package-scoped rather than session-scoped: while sync Playwright runs, it leaves
its asyncio loop marked as running on the main thread, so a later test in the same xdist worker
that called asyncio.run() would fail with "cannot be called from a running event loop". Leaving
the package stops it; a worker that comes back for another file launches again (~0.5 s).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

HERE = Path(__file__).parent
CHROMIUM_ENV = "LAUNCHDECK_CHROMIUM"
# The binary itself before Debian's /usr/bin/chromium: that wrapper sources /etc/chromium.d,
# which adds desktop flags (--enable-gpu-rasterization, --load-extension=) and, where /dev/shm
# is mounted twice (as on our machines), prints a shell error on every launch.
CHROMIUM_CANDIDATES = (Path("/usr/lib/chromium/chromium"), Path("/usr/bin/chromium"))
VIEWPORT = {"width": 1280, "height": 800}
DEFAULT_TIMEOUT_MS = 10_000


class ChromiumNotFound(Exception):
    """No Chromium to launch: the message says where it looked and what to do."""


def find_chromium(
    environ: Mapping[str, str] = os.environ,
    candidates: Sequence[Path] = CHROMIUM_CANDIDATES,
) -> Path:
    """The Chromium to launch: $LAUNCHDECK_CHROMIUM when set, else the first candidate found."""
    if override := environ.get(CHROMIUM_ENV):
        if not _is_executable(Path(override)):
            raise ChromiumNotFound(
                f"{CHROMIUM_ENV}: no executable at {override}; point it at a Chromium binary "
                "or unset it"
            )
        return Path(override)
    for path in candidates:
        if _is_executable(path):
            return path
    looked = " or ".join(str(path) for path in candidates)
    raise ChromiumNotFound(
        f"chromium: not found at {looked}; run scripts/setup (it installs Debian's chromium "
        f"package) or set {CHROMIUM_ENV}"
    )


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # this hook sees the whole session's items, not only this directory's
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for this package's tests in this process."""
    try:
        executable = find_chromium()
    except ChromiumNotFound as error:
        pytest.fail(str(error), pytrace=False)
    with sync_playwright() as playwright:
        # Playwright passes --headless (Chromium's new headless mode: executable_path runs the
        # given binary, not chromium-headless-shell), --disable-dev-shm-usage, and --no-sandbox
        # while chromium_sandbox is False: as root, Chromium refuses to start with its sandbox.
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, chromium_sandbox=False
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh page in a context of its own: 1280x800, 10 s for any wait."""
    context = chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()
