from __future__ import annotations

import json
import os
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from launchdeck.cli.client import Client, CliError, Endpoint, home, tls_for
from tests.harness import CLI, free_port
from tests.unit.cli.listener import listener as listener

URL = "http://127.0.0.1:7070"


def creds(home_dir: Path, url: str = "http://127.0.0.1:7171/", token: str = "from-file") -> None:
    home_dir.mkdir(parents=True, exist_ok=True)
    (home_dir / "api.json").write_text(json.dumps({"url": url, "token": token}))


# -- home and Endpoint.find ----------------------------------------------------------------------


def test_home_is_launchdeck_home_or_dot_launchdeck(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    assert home({"LAUNCHDECK_HOME": str(tmp_path / "ld")}) == (tmp_path / "ld").resolve()
    assert home({}) == (tmp_path / ".launchdeck").resolve()


def test_find_takes_url_and_token_from_the_environment(tmp_path: Path) -> None:
    creds(tmp_path)  # ignored when both variables are set

    found = Endpoint.find(
        {
            "LAUNCHDECK_API_URL": "http://10.0.0.5:9000/",
            "LAUNCHDECK_TOKEN": "from-env",
            "LAUNCHDECK_HOME": str(tmp_path),
        }
    )

    assert found == Endpoint("http://10.0.0.5:9000", "from-env")


def test_find_reads_api_json_in_launchdeck_home(tmp_path: Path) -> None:
    creds(tmp_path)

    assert Endpoint.find({"LAUNCHDECK_HOME": str(tmp_path)}) == Endpoint(
        "http://127.0.0.1:7171", "from-file"
    )


def test_a_token_alone_goes_to_the_url_in_api_json(tmp_path: Path) -> None:
    creds(tmp_path)

    assert Endpoint.find(
        {"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_TOKEN": "from-env"}
    ) == Endpoint("http://127.0.0.1:7171", "from-env")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:7171", "http://127.0.0.1:7171/v1", "HTTP://127.0.0.1:7171/"]
)
def test_the_owner_token_goes_to_its_own_server_under_any_spelling(
    tmp_path: Path, url: str
) -> None:
    creds(tmp_path)

    found = Endpoint.find({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_API_URL": url})

    assert found.token == "from-file"


def test_a_default_port_is_the_same_port(tmp_path: Path) -> None:
    creds(tmp_path, url="https://ld.example.com")

    found = Endpoint.find(
        {"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_API_URL": "https://ld.example.com:443/"}
    )

    assert found == Endpoint("https://ld.example.com:443", "from-file")


NO_TOKEN_FIX = (
    "set LAUNCHDECK_TOKEN to a token made for {url}: an admin there runs "
    "launchdeck tokens create --role ROLE --name YOU"
)


@pytest.mark.parametrize(
    "url",
    [
        "http://evil:7070",  # another host
        "http://127.0.0.1:7070",  # another port
        "https://127.0.0.1:7171",  # another scheme
        "http://localhost:7171",  # another name for it: still not what api.json says
        "http://127.0.0.1:7171@evil:7171",  # userinfo: the host is evil
        "not a url",
    ],
)
def test_the_owner_token_is_never_sent_to_another_url(tmp_path: Path, url: str) -> None:
    creds(tmp_path)

    with pytest.raises(CliError) as err:
        Endpoint.find({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_API_URL": url})

    assert err.value.message == (
        f"LAUNCHDECK_API_URL is {url} but LAUNCHDECK_TOKEN is not set "
        f"(the token in {tmp_path.resolve() / 'api.json'} is only sent to http://127.0.0.1:7171)"
    )
    assert err.value.fix == NO_TOKEN_FIX.format(url=url)


def test_a_url_without_a_token_or_api_json_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(CliError) as err:
        Endpoint.find({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_API_URL": "http://evil:1"})

    assert err.value.message == (
        "LAUNCHDECK_API_URL is http://evil:1 but LAUNCHDECK_TOKEN is not set "
        f"({tmp_path.resolve() / 'api.json'} is missing)"
    )
    assert err.value.fix == NO_TOKEN_FIX.format(url="http://evil:1")


def test_find_reads_os_environ_when_given_nothing(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LAUNCHDECK_API_URL", raising=False)
    monkeypatch.delenv("LAUNCHDECK_TOKEN", raising=False)
    monkeypatch.setenv("LAUNCHDECK_HOME", str(tmp_path))
    creds(tmp_path)

    assert Endpoint.find() == Endpoint("http://127.0.0.1:7171", "from-file")


def test_find_without_api_json_says_to_start_a_server(tmp_path: Path) -> None:
    with pytest.raises(CliError) as err:
        Endpoint.find({"LAUNCHDECK_HOME": str(tmp_path)})

    assert (
        err.value.message
        == f"no control plane found ({tmp_path.resolve() / 'api.json'} is missing)"
    )
    assert err.value.fix == "start one with: launchdeck server start"


def test_find_with_an_unreadable_api_json_gives_the_same_error(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_text("{truncated")

    with pytest.raises(CliError) as err:
        Endpoint.find({"LAUNCHDECK_HOME": str(tmp_path)})

    assert (
        err.value.message
        == f"no control plane found ({tmp_path.resolve() / 'api.json'} is missing)"
    )


def test_find_with_an_api_json_missing_a_key_is_a_cli_error(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_text(json.dumps({"url": URL}))

    with pytest.raises(CliError):
        Endpoint.find({"LAUNCHDECK_HOME": str(tmp_path)})


# -- Client ------------------------------------------------------------------------------------


class Recorder:
    """An httpx handler that answers every request with one scripted response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.response


def client_for(handler) -> Client:
    return Client(Endpoint(URL, "tok"), transport=httpx.MockTransport(handler))


def test_request_sends_the_token_and_returns_the_json() -> None:
    recorder = Recorder(httpx.Response(200, json={"name": "shop"}))

    answer = client_for(recorder).request("POST", "/v1/apps", json={"name": "shop"})

    assert answer == {"name": "shop"}
    [sent] = recorder.requests
    assert sent.headers["Authorization"] == "Bearer tok"
    assert str(sent.url) == f"{URL}/v1/apps"
    assert json.loads(sent.content) == {"name": "shop"}


def test_an_api_error_becomes_a_cli_error_with_status_and_fix() -> None:
    body = {"error": "app 'shop' not found", "fix": "create it with: launchdeck apps create shop"}
    client = client_for(Recorder(httpx.Response(404, json=body)))

    with pytest.raises(CliError) as err:
        client.request("GET", "/v1/apps/shop/envs/staging")

    assert err.value.message == "app 'shop' not found (HTTP 404)"
    assert err.value.fix == "create it with: launchdeck apps create shop"
    assert err.value.code == 1


def test_an_error_without_a_fix_has_an_empty_fix() -> None:
    client = client_for(Recorder(httpx.Response(409, json={"error": "busy"})))

    with pytest.raises(CliError) as err:
        client.request("POST", "/v1/apps")

    assert (err.value.message, err.value.fix) == ("busy (HTTP 409)", "")


def test_a_framework_error_uses_its_detail() -> None:
    client = client_for(Recorder(httpx.Response(405, json={"detail": "Method Not Allowed"})))

    with pytest.raises(CliError) as err:
        client.request("PUT", "/v1/apps")

    assert err.value.message == "Method Not Allowed (HTTP 405)"


def test_a_non_json_error_uses_the_body_text_or_the_reason() -> None:
    with pytest.raises(CliError) as err:
        client_for(Recorder(httpx.Response(502, text="Bad gateway from proxy"))).request("GET", "/")
    assert (err.value.message, err.value.fix) == ("Bad gateway from proxy (HTTP 502)", "")

    with pytest.raises(CliError) as err:
        client_for(Recorder(httpx.Response(503))).request("GET", "/")
    assert err.value.message == "Service Unavailable (HTTP 503)"


def test_a_connection_error_says_the_control_plane_is_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(CliError) as err:
        client_for(refuse).request("GET", "/v1/apps")

    assert err.value.message == (
        f"cannot reach the control plane at {URL} ([Errno 111] Connection refused)"
    )
    assert err.value.fix == "start it with: launchdeck server start"


def test_stream_yields_items_and_skips_heartbeats_and_blank_lines() -> None:
    body = b'{"line": "a"}\n{}\n\n{"line": "b"}\n'
    recorder = Recorder(
        httpx.Response(200, content=body, headers={"content-type": "application/x-ndjson"})
    )

    items = list(client_for(recorder).stream("/v1/logs", {"follow": "true", "grep": "x"}))

    assert items == [{"line": "a"}, {"line": "b"}]
    assert recorder.requests[0].url.params == httpx.QueryParams({"follow": "true", "grep": "x"})


def test_stream_maps_errors_like_request() -> None:
    body = {"error": "deployment 9 not found", "fix": ""}
    client = client_for(Recorder(httpx.Response(404, json=body)))

    with pytest.raises(CliError) as err:
        list(client.stream("/v1/deployments/9/events", {}))

    assert err.value.message == "deployment 9 not found (HTTP 404)"


def test_stream_connection_error_says_the_control_plane_is_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(CliError) as err:
        list(client_for(refuse).stream("/v1/deployments/1/events", {}))

    assert err.value.message == f"cannot reach the control plane at {URL} (refused)"


# -- through the CLI: what a listener at another URL receives ----------------------------------


def cli(home_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LAUNCHDECK_")}
    environ.update(LAUNCHDECK_HOME=str(home_dir), NO_COLOR="1", COLUMNS="1000", **env)
    return subprocess.run(
        [CLI, "apps", "list", "--json"], env=environ, capture_output=True, text=True, timeout=60
    )


def test_the_cli_sends_no_token_to_a_url_other_than_api_json(tmp_path: Path, listener) -> None:
    own = f"http://127.0.0.1:{free_port()}"  # the local control plane (not listening)
    creds(tmp_path, url=own, token="owner-secret")

    refused = cli(tmp_path, LAUNCHDECK_API_URL=listener.url)

    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"error: LAUNCHDECK_API_URL is {listener.url} but LAUNCHDECK_TOKEN is not set "
        f"(the token in {tmp_path.resolve() / 'api.json'} is only sent to {own})",
        f"fix: {NO_TOKEN_FIX.format(url=listener.url)}",
    ]
    assert listener.seen == []

    allowed = cli(tmp_path, LAUNCHDECK_API_URL=listener.url, LAUNCHDECK_TOKEN="made-for-it")

    assert allowed.returncode == 0, allowed.stderr
    assert listener.seen == ["Bearer made-for-it"]


def test_the_cli_sends_the_owner_token_to_the_url_in_api_json(tmp_path: Path, listener) -> None:
    creds(tmp_path, url=listener.url + "/", token="owner-secret")

    assert cli(tmp_path).returncode == 0
    assert cli(tmp_path, LAUNCHDECK_API_URL=listener.url).returncode == 0
    assert listener.seen == ["Bearer owner-secret", "Bearer owner-secret"]


def test_plain_http_loads_no_ca_bundle_and_trusts_nothing_over_tls() -> None:
    """The CA bundle costs a deploy more than its upload; over http no TLS is spoken, and a
    context that trusts no CA fails any TLS it meets rather than skip verification."""
    assert tls_for("https://deploy.example.com") is True
    context = tls_for("http://127.0.0.1:8700")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == []
