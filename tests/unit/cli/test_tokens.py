from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from launchdeck.cli.client import Client, Endpoint
from launchdeck.cli.commands import tokens
from launchdeck.cli.main import app

NEW = "ldt_new-owner-token"
ROTATED = {"token": NEW, "role": "admin", "credentials": "/srv/ld/api.json"}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=ROTATED)

    transport = httpx.MockTransport(answer)
    monkeypatch.setattr(
        tokens, "client", lambda: Client(Endpoint("http://cp:7070", "old"), transport=transport)
    )
    monkeypatch.setenv("COLUMNS", "1000")
    return requests


def test_rotate_owner_asks_the_api_and_prints_the_new_token_once(
    sent: list[httpx.Request],
) -> None:
    result = CliRunner().invoke(app, ["tokens", "rotate-owner"])

    assert result.exit_code == 0, result.output
    [request] = sent
    assert (request.method, request.url.path) == ("POST", "/v1/tokens/owner")
    assert request.headers["Authorization"] == "Bearer old"
    assert result.stdout.splitlines() == ["new owner token (role admin):", NEW]
    assert result.stderr.splitlines() == [
        "/srv/ld/api.json on the server host is updated: the CLI there uses the new token from "
        "now on. The old owner token is refused; replace it wherever it was copied "
        "(LAUNCHDECK_TOKEN)."
    ]


def test_rotate_owner_as_json(sent: list[httpx.Request]) -> None:
    result = CliRunner().invoke(app, ["tokens", "rotate-owner", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == ROTATED
