from __future__ import annotations

import json
import threading
import time

import httpx

from launchdeck.controlplane.notify import Notice, Notifier

URL = "https://hooks.example.com/services/T000/B000/secret"


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def notifier(
    answers: list[httpx.Response | Exception], seen: list[dict]
) -> tuple[Notifier, FakeClock]:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    clock = FakeClock()
    return Notifier(transport=httpx.MockTransport(handle), clock=clock), clock


def test_the_payload_is_slack_compatible() -> None:
    payload = Notice("shop", "staging", "rolled_back", "v7", "instance web.v7-a exited").payload()
    assert payload["text"] == ":rewind: shop/staging v7: deploy rolled back"
    assert payload["blocks"][0] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*:rewind: shop/staging v7: deploy rolled back*"},
    }
    assert "instance web.v7-a exited" in payload["blocks"][1]["text"]["text"]


def test_a_429_is_retried_after_its_retry_after() -> None:
    seen: list[dict] = []
    n, clock = notifier(
        [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)], seen
    )
    n.send([URL], Notice("shop", "staging", "succeeded", "v2"))
    n.drain()
    assert len(seen) == 2 and clock.sleeps == [7.0]


def test_5xx_and_connection_errors_back_off_then_give_up() -> None:
    seen: list[dict] = []
    answers: list[httpx.Response | Exception] = [
        httpx.Response(500),
        httpx.ConnectError("refused"),
        httpx.Response(503),
        httpx.Response(500),
    ]
    n, clock = notifier(answers, seen)
    n.send([URL], Notice("shop", "staging", "failed", "v2"))
    n.drain()
    assert len(seen) == 4 and clock.sleeps == [1.0, 2.0, 4.0]


def test_a_4xx_is_not_retried() -> None:
    seen: list[dict] = []
    n, clock = notifier([httpx.Response(404)], seen)
    n.send([URL], Notice("shop", "staging", "started", "v2"))
    n.drain()
    assert len(seen) == 1 and clock.sleeps == []


def test_send_returns_before_delivery() -> None:
    release = threading.Event()
    delivered: list[str] = []

    def slow(request: httpx.Request) -> httpx.Response:
        release.wait(5)
        delivered.append(str(request.url))
        return httpx.Response(200)

    n = Notifier(transport=httpx.MockTransport(slow), clock=FakeClock())
    n.send([URL, URL], Notice("shop", "staging", "started", "v2"))

    # a send that delivered before returning would have both posts done (after 5 s) by now
    assert delivered == []
    release.set()
    n.drain()
    assert delivered == [URL, URL]
    n.close()


def test_a_hanging_webhook_delays_no_other_webhook() -> None:
    release = threading.Event()
    delivered: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "stuck.example.com":
            release.wait(10)
        delivered.append(request.url.host)
        return httpx.Response(200)

    n = Notifier(transport=httpx.MockTransport(handle))
    n.send(
        ["https://stuck.example.com/h", "https://fine.example.com/h"],
        Notice("a", "b", "started", ""),
    )
    deadline = time.monotonic() + 5
    while "fine.example.com" not in delivered and time.monotonic() < deadline:
        time.sleep(0.01)
    assert delivered == ["fine.example.com"]
    release.set()
    n.drain()
    assert delivered == ["fine.example.com", "stuck.example.com"]
    n.close()


def test_the_headline_names_the_action_and_a_building_deploy_has_no_release_yet() -> None:
    assert Notice("shop", "staging", "started", "").payload()["text"] == (
        ":rocket: shop/staging: deploy started"
    )
    assert Notice("shop", "prod", "failed", "v3", action="promote").payload()["text"] == (
        ":x: shop/prod v3: promote failed"
    )
