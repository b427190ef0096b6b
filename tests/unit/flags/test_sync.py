"""Keeping the set current: ETag long polls, the last good set on every failure, a capped
backoff, each kind of failure logged once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest
from launchdeck_openfeature.server import Fetched, FlagServer
from launchdeck_openfeature.sync import Backoff, FlagSync

from tests.clock import ManualClock

URL = "http://plane.test/flags/shop/production"


def body(version: int) -> dict[str, object]:
    return {"version": version, "app": "shop", "env": "production", "latest_app_version": None,
            "flags": {"f": {"enabled": True}}}  # fmt: skip


@dataclass
class ScriptedPlane:
    """Answers each request with the next of `answers`; records the If-None-Match it got."""

    answers: list[Callable[[httpx.Request], httpx.Response]]
    etags: list[str | None] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.etags.append(request.headers.get("If-None-Match"))
        return self.answers.pop(0)(request)


def ok(version: int) -> Callable[[httpx.Request], httpx.Response]:
    return lambda r: httpx.Response(200, json=body(version), headers={"ETag": f'"{version}"'})


def status(code: int, content: bytes = b"") -> Callable[[httpx.Request], httpx.Response]:
    return lambda r: httpx.Response(code, content=content)


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def syncing(*answers: Callable[[httpx.Request], httpx.Response], clock: ManualClock | None = None
            ) -> tuple[FlagSync, list[int], ScriptedPlane]:  # fmt: skip
    plane = ScriptedPlane(list(answers))
    installed: list[int] = []
    server = FlagServer(URL, "tok", transport=httpx.MockTransport(plane))
    sync = FlagSync(server, lambda f: installed.append(f.flags.version), wait=20,
                    monotonic=(clock or ManualClock()).monotonic)  # fmt: skip
    return sync, installed, plane


def test_the_long_poll_sends_the_etag_of_the_set_it_has() -> None:
    sync, installed, plane = syncing(ok(1), status(304), ok(2), status(304))

    assert sync.first(timeout=2)
    for _ in range(3):
        sync.poll_once()

    assert installed == [1, 2]
    assert plane.etags == [None, '"1"', '"1"', '"2"']


@pytest.mark.parametrize(
    ("failure", "logged"),
    [
        (status(401), f"{URL}?wait=20 refused the token (HTTP 401) to read the flag set: check "
                      "LAUNCHDECK_FLAGS_TOKEN (launchdeck sets it in each instance)"),
        (status(503), f"{URL}?wait=20 answered HTTP 503 to read the flag set"),
        (status(200, b"{"), f"{URL} sent a flag set that is not JSON (Expecting property name "
                            "enclosed in double quotes: line 1 column 2 (char 1))"),
        (refused, f"cannot reach {URL} (ConnectError('[Errno 111] Connection refused'))"),
    ],
)  # fmt: skip
def test_a_failure_keeps_the_last_set_and_is_logged_once(
    failure: Callable[[httpx.Request], httpx.Response],
    logged: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sync, installed, plane = syncing(ok(1), failure, failure, failure, status(304), failure)
    sync.first(timeout=2)

    with caplog.at_level(logging.WARNING, logger="launchdeck_openfeature"):
        for _ in range(5):
            sync.poll_once()

    assert installed == [1]
    assert plane.etags[-1] == '"1"'
    assert caplog.messages == [
        f"launchdeck flags: {logged}; keeping the flags it has and retrying",
        f"launchdeck flags: {URL} answers again",
        f"launchdeck flags: {logged}; keeping the flags it has and retrying",
    ]


def test_failures_back_off_from_half_a_second_doubling_to_five() -> None:
    clock = ManualClock()

    def held(request: httpx.Request) -> httpx.Response:
        clock.advance(20)
        return httpx.Response(304)

    sync, _, _ = syncing(*[status(503)] * 7, held, status(503), clock=clock)

    pauses = [sync.poll_once() for _ in range(9)]

    assert pauses == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 0.0, 0.5]


def test_a_poll_answered_at_once_waits_out_the_minimum_interval() -> None:
    clock = ManualClock()

    def held(request: httpx.Request) -> httpx.Response:
        clock.advance(20)
        return httpx.Response(304)

    def quick(request: httpx.Request) -> httpx.Response:
        clock.advance(0.1)
        return httpx.Response(304)

    sync, _, _ = syncing(held, quick, clock=clock)

    assert sync.poll_once() == 0.0
    assert sync.poll_once() == pytest.approx(0.4)


def test_the_backoff_never_overflows() -> None:
    assert Backoff().delay(0) == 0.0
    assert Backoff().delay(10_000) == 5.0
    assert Backoff(first=1, cap=60).delay(3) == 4.0


def test_the_fetched_body_is_handed_over_as_sent() -> None:
    seen: list[Fetched] = []
    server = FlagServer(URL, None, transport=httpx.MockTransport(ok(4)))

    assert FlagSync(server, seen.append, wait=20).first(timeout=2)
    assert seen[0].body == body(4)
