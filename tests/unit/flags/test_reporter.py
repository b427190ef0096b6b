"""App-version reports: once per newer version, none for what the set already knows, retried
after a failure, and never on the evaluating thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from launchdeck_openfeature.errors import ServerError
from launchdeck_openfeature.reporter import AppVersionReporter
from launchdeck_openfeature.sync import Backoff

from tests.unit.flags.flag_server import eventually


class Plane:
    """The report endpoint: `sent` in order; `fail` failures before the next succeeds."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.threads: set[str] = set()
        self.fail = 0
        self.latest: str | None = None

    def send(self, version: str) -> None:
        self.threads.add(threading.current_thread().name)
        if self.fail:
            self.fail -= 1
            raise ServerError("http 503", "answered HTTP 503")
        self.sent.append(version)


@pytest.fixture
def running() -> Iterator[tuple[AppVersionReporter, Plane]]:
    plane = Plane()
    reporter = AppVersionReporter(lambda: plane.latest, backoff=Backoff(first=0.01, cap=0.01))
    stop = threading.Event()
    thread = threading.Thread(target=reporter.run, args=(stop, plane.send), name="reporter")
    thread.start()
    yield reporter, plane
    stop.set()
    reporter.wake()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_each_newer_version_is_reported_once(running: tuple[AppVersionReporter, Plane]) -> None:
    reporter, plane = running

    for seen in ["1.4.2", "1.4.2", "not-a-version", 142, None, "1.4.2"]:
        reporter.saw(seen)
    eventually(lambda: plane.sent == ["1.4.2"], "1.4.2 reported")
    for seen in ["1.4.0", "1.4.2", "1.5.0", "1.4.9", "1.5.0"]:
        reporter.saw(seen)
    eventually(lambda: plane.sent == ["1.4.2", "1.5.0"], "1.5.0 reported")
    reporter.saw("1.6.0")

    eventually(lambda: plane.sent == ["1.4.2", "1.5.0", "1.6.0"], "1.6.0 reported, nothing between")
    assert plane.threads == {"reporter"}


def test_a_version_the_set_knows_as_latest_is_not_reported(
    running: tuple[AppVersionReporter, Plane],
) -> None:
    reporter, plane = running
    plane.latest = "2.0.0"

    reporter.saw("1.9.0")
    reporter.saw("2.0.0")
    reporter.saw("2.0.1")

    eventually(lambda: plane.sent == ["2.0.1"], "only the version newer than latest")


def test_a_failed_report_is_retried(running: tuple[AppVersionReporter, Plane]) -> None:
    reporter, plane = running
    plane.fail = 2

    reporter.saw("3.0.0")

    eventually(lambda: plane.sent == ["3.0.0"], "the report after two failures")
