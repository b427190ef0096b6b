"""The CLI's HTTP client: finds the control plane's URL and token, turns API errors into
messages that say what to do."""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from launchdeck.system.errors import LaunchdeckError


class CliError(LaunchdeckError):
    """An error the CLI prints (without a traceback) before exiting non-zero with `code`."""

    def __init__(self, message: str, fix: str = "", code: int = 1) -> None:
        super().__init__(message, fix)
        self.code = code


def home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("LAUNCHDECK_HOME") or Path.home() / ".launchdeck").expanduser().resolve()


@dataclass(frozen=True)
class Endpoint:
    url: str
    token: str

    @classmethod
    def find(cls, environ: Mapping[str, str] | None = None) -> Endpoint:
        """LAUNCHDECK_API_URL and LAUNCHDECK_TOKEN, each falling back to api.json in the home.
        The owner token in api.json goes only to the URL written beside it: a URL elsewhere
        needs its own LAUNCHDECK_TOKEN."""
        env = os.environ if environ is None else environ
        url, token = env.get("LAUNCHDECK_API_URL"), env.get("LAUNCHDECK_TOKEN")
        if url and token:
            return cls(url.rstrip("/"), token)
        creds = home(env) / "api.json"
        try:
            data = json.loads(creds.read_text())
        except (OSError, ValueError):
            if url:
                raise _no_token_for(url, f"{creds} is missing") from None
            raise CliError(
                f"no control plane found ({creds} is missing)",
                "start one with: launchdeck server start",
            ) from None
        if not isinstance(data, dict) or not data.get("url") or not data.get("token"):
            raise CliError(
                f"{creds} has no url and token",
                "restart the control plane to rewrite it: "
                "launchdeck server stop; launchdeck server start",
            )
        own_url = str(data["url"]).rstrip("/")
        if token:
            return cls(own_url, token)
        if url and not same_server(url, own_url):
            raise _no_token_for(url, f"the token in {creds} is only sent to {own_url}")
        return cls((url or own_url).rstrip("/"), str(data["token"]))


DEFAULT_PORTS = {"http": 80, "https": 443}


def same_server(a: str, b: str) -> bool:
    """Same scheme, host and port (a missing port is the scheme's default)."""
    try:
        first, second = httpx.URL(a), httpx.URL(b)
    except httpx.InvalidURL:
        return False

    def origin(u: httpx.URL) -> tuple[str, str, int | None]:
        return u.scheme, u.host, u.port or DEFAULT_PORTS.get(u.scheme)

    return bool(first.host) and origin(first) == origin(second)


def _no_token_for(url: str, why: str) -> CliError:
    return CliError(
        f"LAUNCHDECK_API_URL is {url} but LAUNCHDECK_TOKEN is not set ({why})",
        f"set LAUNCHDECK_TOKEN to a token made for {url}: an admin there runs "
        "launchdeck tokens create --role ROLE --name YOU",
    )


def tls_for(url: str) -> ssl.SSLContext | bool:
    """The system's CA bundle for https; for plain http a context that trusts nothing (the
    bundle takes longer to load than a deploy's upload, and no TLS is spoken anyway)."""
    return True if url.startswith("https:") else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class Client:
    def __init__(self, endpoint: Endpoint, *, transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = endpoint
        self._http = httpx.Client(
            base_url=endpoint.url,
            headers={"Authorization": f"Bearer {endpoint.token}"},
            timeout=httpx.Timeout(30.0, read=None),
            transport=transport,
            verify=tls_for(endpoint.url),
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None
        self._check(response)
        return response.json() if response.content else None  # a 204 has no body

    def stream(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Newline-delimited JSON from a streaming endpoint; empty heartbeats are skipped."""
        try:
            with self._http.stream("GET", path, params=dict(params)) as response:
                if response.status_code >= 400:
                    response.read()
                    self._check(response)
                for line in response.iter_lines():
                    if line.strip():
                        item = json.loads(line)
                        if item:
                            yield item
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: Exception) -> CliError:
        return CliError(
            f"cannot reach the control plane at {self.endpoint.url} ({exc})",
            "start it with: launchdeck server start",
        )

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            body = response.json()
            message, fix = str(body.get("error") or body.get("detail")), str(body.get("fix", ""))
        except ValueError:
            message, fix = response.text or response.reason_phrase, ""
        raise CliError(f"{message} (HTTP {response.status_code})", fix)
