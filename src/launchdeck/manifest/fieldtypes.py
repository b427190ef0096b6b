"""The value types of the manifest schema: names, commands, durations, sizes, ports, paths.

Each is an Annotated type whose validator raises a PydanticCustomError carrying a fix, plus a
Doc marker that tells the docs generator how to name the type and print its values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, PlainValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from launchdeck.domain import Amount
from launchdeck.domain.models import NAME_RE
from launchdeck.manifest.suggest import closest, to_name
from launchdeck.manifest.units import (
    BadValue,
    format_duration,
    format_size,
    parse_amount,
    parse_duration,
    parse_size,
)

MIN_MEMORY = 4 * 1024**2
CONFIG_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")


@dataclass(frozen=True)
class Doc:
    """How the docs name a field's type and print its values (pydantic ignores this marker)."""

    type_name: str
    show: Callable[[Any], str] | None = None  # a value of this type as TOML text


def _error(kind: str, message: str, fix: str | None = None) -> PydanticCustomError:
    # The fix rides in the error's context; when empty, the translation suggests the example.
    return PydanticCustomError(kind, message, {"fix": fix or ""})


def _from_units(kind: str, parse: Callable[[object], Any]) -> Callable[[object], Any]:
    def validate(value: object) -> Any:
        try:
            return parse(value)
        except BadValue as bad:
            raise _error(kind, bad.message, bad.fix) from None

    return validate


def _name(value: str) -> str:
    if NAME_RE.match(value):
        return value
    suggestion = to_name(value)
    fix = f"use {suggestion!r}" if suggestion else "pick a name like 'web'"
    message = "should be at most 30 lowercase letters, digits or '-', starting with a letter"
    raise _error("name", message, fix)


def _service_ref(value: str, info: ValidationInfo) -> str:
    # The loader passes the service names in, since they may come from a Procfile; without
    # them (services itself is malformed) every name would look unknown, so none is.
    known_names = (info.context or {}).get("services")
    if known_names is None or value in known_names:
        return value
    services = sorted(known_names)
    known = f"services are: {', '.join(services)}" if services else "no services are defined"
    match = closest(value, services)
    raise _error(
        "unknown_service",
        "unknown service",
        f"did you mean {match!r}? {known}" if match else f"use a service from [services]; {known}",
    )


def _command(value: str) -> str:
    if value.strip():
        return value
    raise _error("empty", "should not be empty")


def _port(value: object) -> bool:
    if value == "$PORT" or value is True:
        return True
    if value is False:
        return False
    if isinstance(value, int):
        raise _error(
            "port_number",
            "a fixed port number is not supported",
            'use "$PORT": launchdeck assigns each instance its own port',
        )
    raise _error("port", 'should be "$PORT" or true', 'use port = "$PORT"')


def _health_path(value: str) -> str:
    if value.startswith("/"):
        return value
    path = urlsplit(value).path if "://" in value else value
    raise _error("path", "should start with '/'", f"use {'/' + path.lstrip('/')!r}")


def _config_key(value: str) -> str:
    if CONFIG_KEY_RE.match(value):
        return value
    fixed = re.sub(r"[^A-Za-z0-9_]", "_", value)
    fixed = f"_{fixed}" if fixed[:1].isdigit() else fixed
    raise _error(
        "config_key",
        "should be letters, digits and '_', not starting with a digit",
        f"use {fixed!r}",
    )


def _hostname(value: str) -> str:
    if HOSTNAME_RE.match(value):
        return value
    host = (urlsplit(value).hostname if "//" in value else value.split("/")[0]) or ""
    host = host.split(":")[0].lower()
    fix = f"use {host!r}" if HOSTNAME_RE.match(host) else "use a hostname like 'api.example.com'"
    raise _error("hostname", "should be a hostname like 'api.example.com'", fix)


def _min_memory(value: int) -> int:
    if value >= MIN_MEMORY:
        return value
    raise _error(
        "too_small",
        f"should be at least {format_size(MIN_MEMORY)}",
        f"use {format_size(MIN_MEMORY)!r} or more",
    )


Name = Annotated[str, AfterValidator(_name), Doc("name")]
ServiceRef = Annotated[str, AfterValidator(_service_ref), Doc("service name")]
Command = Annotated[str, AfterValidator(_command), Doc("string")]
Port = Annotated[bool, BeforeValidator(_port), Doc('"$PORT" or boolean')]
Duration = Annotated[
    float,
    BeforeValidator(_from_units("duration", parse_duration)),
    Doc("duration", lambda seconds: f'"{format_duration(seconds)}"'),
]
Size = Annotated[
    int,
    BeforeValidator(_from_units("size", parse_size)),
    Doc("size", lambda size: f'"{format_size(size)}"'),
]
InstanceAmount = Annotated[
    Amount,
    PlainValidator(_from_units("amount", parse_amount)),
    Doc('integer or "N%"', lambda amount: f'"{amount}"' if amount.percent else str(amount)),
]
Memory = Annotated[Size, AfterValidator(_min_memory)]
HealthPath = Annotated[str, AfterValidator(_health_path), Doc("string")]
ConfigKey = Annotated[str, AfterValidator(_config_key), Doc("variable name")]
Hostname = Annotated[str, AfterValidator(_hostname), Doc("hostname")]
