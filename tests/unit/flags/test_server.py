"""The flag endpoints' wrapper: what it sends, what each answer becomes, and `abort`."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from launchdeck_openfeature.errors import ServerError
from launchdeck_openfeature.flagset import FlagSet
from launchdeck_openfeature.server import Fetched, FlagServer, NotModified

from tests.unit.flags.flag_server import TOKEN, FlagServerFake, eventually
from tests.unit.flags.flag_server import flag_server as flag_server

URL = "http://plane.test/flags/shop/production"
BODY = {"version": 3, "app": "shop", "env": "production", "latest_app_version": None,
        "flags": {"f": {"enabled": True}}}  # fmt: skip


def serving(status: int, **kwargs: object) -> tuple[FlagServer, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, **kwargs)  # type: ignore[arg-type]

    return FlagServer(URL, "tok", transport=httpx.MockTransport(handle)), sent


def test_a_fetch_sends_the_token_the_wait_and_the_etag() -> None:
    server, sent = serving(200, json=BODY, headers={"ETag": '"3"'})

    fetched = server.fetch('"2"', wait=20)

    assert fetched == Fetched(FlagSet.from_json(BODY), '"3"', BODY)
    assert str(sent[0].url) == URL + "?wait=20"
    assert (sent[0].headers["Authorization"], sent[0].headers["If-None-Match"]) == (
        "Bearer tok",
        '"2"',
    )


def test_a_first_fetch_sends_no_etag_and_a_missing_etag_is_the_quoted_version() -> None:
    server, sent = serving(200, json=BODY)

    fetched = server.fetch(None, wait=0)

    assert isinstance(fetched, Fetched) and fetched.etag == '"3"'
    assert "If-None-Match" not in sent[0].headers
    assert sent[0].url.params["wait"] == "0"


def test_304_is_not_modified() -> None:
    assert serving(304)[0].fetch('"3"', wait=20) == NotModified()


@pytest.mark.parametrize(
    ("status", "kwargs", "kind", "message"),
    [
        (401, {}, "unauthorized",
         f"{URL}?wait=20 refused the token (HTTP 401) to read the flag set: check "
         "LAUNCHDECK_FLAGS_TOKEN (launchdeck sets it in each instance)"),
        (503, {}, "http 503", f"{URL}?wait=20 answered HTTP 503 to read the flag set"),
        (200, {"content": b"<html>"}, "bad body",
         f"{URL} sent a flag set that is not JSON (Expecting value: line 1 column 1 (char 0))"),
        (200, {"json": {**BODY, "version": "x"}}, "bad body",
         f"{URL} sent a flag set this client cannot read: version: should be a non-negative "
         "integer (got 'x')"),
    ],
)  # fmt: skip
def test_each_failure_is_a_server_error_of_its_kind(
    status: int, kwargs: dict[str, object], kind: str, message: str
) -> None:
    with pytest.raises(ServerError) as raised:
        serving(status, **kwargs)[0].fetch(None, wait=20)

    assert (raised.value.kind, str(raised.value)) == (kind, message)


def test_an_unreachable_server_is_a_server_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(ServerError) as raised:
        FlagServer(URL, "tok", transport=httpx.MockTransport(refuse)).fetch(None, wait=0)

    assert raised.value.kind == "unreachable"
    assert (
        str(raised.value) == f"cannot reach {URL} (ConnectError('[Errno 111] Connection refused'))"
    )


def test_a_report_posts_the_app_version_under_the_url() -> None:
    server, sent = serving(204)

    server.report_app_version("1.5.0")

    assert (sent[0].method, str(sent[0].url)) == ("POST", URL + "/app-versions")
    assert json.loads(sent[0].content) == {"app_version": "1.5.0"}
    assert sent[0].headers["Authorization"] == "Bearer tok"


def test_abort_ends_a_long_poll_in_flight(flag_server: FlagServerFake) -> None:
    server = FlagServer(flag_server.url, TOKEN)
    etag = server.fetch(None, wait=0).etag  # type: ignore[union-attr]
    outcome: list[object] = []
    poll = threading.Thread(target=lambda: outcome.append(_fetch(server, etag)))
    poll.start()
    eventually(lambda: flag_server.holding == 1, "the long poll held")

    server.abort()
    poll.join(timeout=5)

    assert not poll.is_alive()
    assert outcome == ["aborted"]
    with pytest.raises(ServerError, match="the provider shut down"):
        server.fetch(None, wait=0)


def _fetch(server: FlagServer, etag: str) -> object:
    try:
        return server.fetch(etag, wait=60)
    except ServerError as err:
        return err.kind
