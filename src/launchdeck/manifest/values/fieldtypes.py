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
from launchdeck.manifest.values.suggest import closest, to_name
from launchdeck.manifest.values.units import (
    BadValue,
    format_duration,
    format_size,
    parse_amount,
    parse_duration,
    parse_increase,
    parse_percent,
    parse_size,
)

MIN_MEMORY = 4 * 1024**2
CONFIG_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+\Z")
_BRANCH_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}\Z")


@dataclass(frozen=True)
class Doc:
    """How the docs name a field's type and print its values (pydantic ignores this marker)."""

    type_name: str
    show: Callable[[Any], str] | None = None  # a value of this type as TOML text


def field_error(kind: str, message: str, fix: str | None = None) -> PydanticCustomError:
    # The fix rides in the error's context; when empty, the translation suggests the example.
    return PydanticCustomError(kind, message, {"fix": fix or ""})


def from_units(kind: str, parse: Callable[[object], Any]) -> Callable[[object], Any]:
    def validate(value: object) -> Any:
        try:
            return parse(value)
        except BadValue as bad:
            raise field_error(kind, bad.message, bad.fix) from None

    return validate


def _name(value: str) -> str:
    if NAME_RE.fullmatch(value):
        return value
    suggestion = to_name(value)
    fix = f"use {suggestion!r}" if suggestion else "pick a name like 'web'"
    message = "should be at most 30 lowercase letters, digits or '-', starting with a letter"
    raise field_error("name", message, fix)


def _service_ref(value: str, info: ValidationInfo) -> str:
    # The loader passes the service names in, since they may come from a Procfile; without
    # them (services itself is malformed) every name would look unknown, so none is.
    known_names = (info.context or {}).get("services")
    if known_names is None or value in known_names:
        return value
    services = sorted(known_names)
    known = f"services are: {', '.join(services)}" if services else "no services are defined"
    match = closest(value, services)
    raise field_error(
        "unknown_service",
        "unknown service",
        f"did you mean {match!r}? {known}" if match else f"use a service from [services]; {known}",
    )


def _command(value: str) -> str:
    if value.strip():
        return value
    raise field_error("empty", "should not be empty")


def _port(value: object) -> bool:
    if value == "$PORT" or value is True:
        return True
    if value is False:
        return False
    if isinstance(value, int):
        raise field_error(
            "port_number",
            "a fixed port number is not supported",
            'use "$PORT": launchdeck assigns each instance its own port',
        )
    raise field_error("port", 'should be "$PORT" or true', 'use port = "$PORT"')


def _health_path(value: str) -> str:
    if any(char.isspace() or char in "\"'" or not char.isprintable() for char in value):
        fix = "use a plain path such as '/health'"
        raise field_error("path", "should contain no spaces, quotes or control characters", fix)
    if value.startswith("/"):
        return value
    path = urlsplit(value).path if "://" in value else value
    raise field_error("path", "should start with '/'", f"use {'/' + path.lstrip('/')!r}")


def _config_key(value: str) -> str:
    if CONFIG_KEY_RE.fullmatch(value):
        return value
    fixed = re.sub(r"[^A-Za-z0-9_]", "_", value)
    fixed = f"_{fixed}" if fixed[:1].isdigit() else fixed
    raise field_error(
        "config_key",
        "should be letters, digits and '_', not starting with a digit",
        f"use {fixed!r}",
    )


def _hostname(value: str) -> str:
    if HOSTNAME_RE.fullmatch(value):
        return value
    host = (urlsplit(value).hostname if "//" in value else value.split("/")[0]) or ""
    host = host.split(":")[0].lower()
    fix = (
        f"use {host!r}" if HOSTNAME_RE.fullmatch(host) else "use a hostname like 'api.example.com'"
    )
    raise field_error("hostname", "should be a hostname like 'api.example.com'", fix)


def _is_branch(value: str) -> bool:
    # The subset of git's ref-name rules a branch someone pushes can break.
    return (
        bool(_BRANCH_RE.fullmatch(value))
        and ".." not in value
        and not value.endswith(".")
        and all(p and not p.startswith(".") and not p.endswith(".lock") for p in value.split("/"))
    )


def _branch(value: str) -> str:
    if _is_branch(value):
        return value
    parts = re.sub(r"[^A-Za-z0-9._/-]+", "-", value).replace("..", ".").split("/")
    fixed = "/".join(p.removesuffix(".lock").strip(".-") for p in parts if p.strip(".-"))
    fix = f"use {fixed!r}" if _is_branch(fixed) else "use a name like 'main'"
    raise field_error("branch", "should be a git branch name like 'main' or 'release/2'", fix)


def _min_memory(value: int) -> int:
    if value >= MIN_MEMORY:
        return value
    raise field_error(
        "too_small",
        f"should be at least {format_size(MIN_MEMORY)}",
        f"use {format_size(MIN_MEMORY)!r} or more",
    )


# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}\Z")
_ACM_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:acm:(?P<region>[a-z]{2}(-[a-z]+)+-\d{1,2}):\d{12}:certificate/[0-9a-f-]{36}\Z"
)
_GITHUB_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}\Z")
_INSTANCE_CLASS = r"^{prefix}\.[a-z0-9-]+\.[a-z0-9-]+\Z"
_HOSTED_ZONE_RE = re.compile(r"^Z[A-Z0-9]{1,32}\Z")
_SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}\Z")


def _region(value: str) -> str:
    if _REGION_RE.fullmatch(value):
        return value
    lowered = value.strip().lower().replace("_", "-")
    fix = f"use {lowered!r}" if _REGION_RE.fullmatch(lowered) else "use a code like 'us-east-1'"
    raise field_error("region", "should be an AWS region code like 'us-east-1'", fix)


_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_IP_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+\Z")


def _bucket(value: str) -> str:
    if _BUCKET_RE.fullmatch(value) and ".." not in value and not _IP_RE.fullmatch(value):
        return value
    lowered = re.sub(r"[^a-z0-9.-]+", "-", value.strip().lower()).strip(".-")[:63]
    ok = _BUCKET_RE.fullmatch(lowered) and ".." not in lowered and not _IP_RE.fullmatch(lowered)
    raise field_error(
        "bucket",
        "should be an S3 bucket name: 3-63 lowercase letters, digits, '-' and '.', starting "
        "and ending with a letter or digit",
        f"use {lowered!r}" if ok else "use a name like 'shop-backups'",
    )


def _key_prefix(value: str) -> str:
    if value.startswith("/") or "//" in value or len(value) > 512:
        fix = value.strip("/")
        raise field_error(
            "key_prefix",
            "should be an S3 key prefix like 'launchdeck/' (no leading '/', no '//')",
            f"use {fix + '/' if fix else ''!r}",
        )
    return value if not value or value.endswith("/") else value + "/"  # a folder, as S3 shows


def _endpoint(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.hostname and parts.path in ("", "/"):
        return value.rstrip("/")
    raise field_error(
        "endpoint",
        "should be the http(s) URL of an S3-compatible endpoint, without a path",
        "use e.g. 'https://s3.eu-west-1.amazonaws.com' or 'http://127.0.0.1:9000' (MinIO)",
    )


def _acm_arn(value: str) -> str:
    if _ACM_ARN_RE.fullmatch(value):
        return value
    raise field_error(
        "acm_arn",
        "should be an ACM certificate ARN",
        "copy the ARN from the ACM console: 'arn:aws:acm:<region>:<account>:certificate/<id>'",
    )


def _us_east_1_arn(value: str) -> str:
    match = _ACM_ARN_RE.fullmatch(_acm_arn(value))
    if match and match["region"] == "us-east-1":
        return value
    raise field_error(
        "acm_region",
        "should be a certificate in us-east-1: CloudFront only uses certificates from there",
        "request or import the certificate in ACM in us-east-1 and use its ARN",
    )


def _github_repo(value: str) -> str:
    if _GITHUB_RE.fullmatch(value):
        return value
    path = urlsplit(value).path if "://" in value else value
    repo = "/".join(path.strip("/").removesuffix(".git").split("/")[-2:])
    fix = f"use {repo!r}" if _GITHUB_RE.fullmatch(repo) else "use 'org/repo', e.g. 'shop-inc/shop'"
    raise field_error("github", "should be a GitHub repository as 'org/repo'", fix)


def _instance_class(prefix: str, example: str) -> Callable[[str], str]:
    pattern = re.compile(_INSTANCE_CLASS.format(prefix=re.escape(prefix)))

    def validate(value: str) -> str:
        if pattern.fullmatch(value):
            return value
        guess = f"{prefix}.{value}" if pattern.fullmatch(f"{prefix}.{value}") else example
        raise field_error(
            "instance_class", f"should be an instance class like {example!r}", f"use {guess!r}"
        )

    return validate


def _hosted_zone(value: str) -> str:
    if _HOSTED_ZONE_RE.fullmatch(value):
        return value
    zone = value.rsplit("/", 1)[-1]
    fix = (
        f"use {zone!r}"
        if _HOSTED_ZONE_RE.fullmatch(zone)
        else "use the zone's ID, e.g. 'Z0123456789ABCDEFGHIJ'"
    )
    raise field_error("hosted_zone", "should be a Route 53 hosted zone ID", fix)


def _secret_name(value: str) -> str:
    if _SECRET_NAME_RE.fullmatch(value):
        return value
    fixed = re.sub(r"[^A-Za-z0-9/_+=.@-]", "-", value)[:512] or "launchdeck/shop/slack-webhook"
    raise field_error(
        "secret_name",
        "should be a Secrets Manager name (letters, digits and /_+=.@-)",
        f"use {fixed!r}",
    )


def _log_retention(value: int) -> int:
    if value in LOG_RETENTION_DAYS:
        return value
    above = [days for days in LOG_RETENTION_DAYS if days > value]
    below = [days for days in LOG_RETENTION_DAYS if days < value]
    nearest = [str(days) for days in (below[-1:] + above[:1])]
    raise field_error(
        "log_retention",
        "should be a retention CloudWatch Logs offers: "
        + ", ".join(str(days) for days in LOG_RETENTION_DAYS),
        f"use {' or '.join(nearest)}",
    )


def _major_version(value: str) -> str:
    if value.isdigit():
        return value
    major = value.split(".")[0]
    fix = f"use {major!r}" if major.isdigit() else "use a major version like '16'"
    raise field_error("version", "should be a major version like '16'", fix)


def _webhook(value: str) -> str:
    if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", value) or re.match(r"https?://[^\s/]+", value):
        return value
    raise field_error(
        "webhook",
        "should be an http(s) URL or $NAME of a config var holding one",
        "use '$SLACK_WEBHOOK_URL' and: launchdeck config set --secret SLACK_WEBHOOK_URL=https://...",
    )


def _queue(value: str) -> str:
    """`redis:///<key>` -> the key: a list in the environment's own Redis add-on. A URL that
    names a server is refused: the control plane reads no server a manifest points it at."""
    example = "use e.g. 'redis:///rq:queue:default' (RQ) or 'redis:///dramatiq:default'"
    if not value.startswith("redis://"):
        name = value.rsplit("/", 1)[-1]
        fix = f"use 'redis:///{name}'" if name and "://" not in value else example
        message = "should be 'redis:///<list key>': the Redis list the service consumes"
        raise field_error("queue", message, fix)
    server, _, key = value.removeprefix("redis://").partition("/")
    if server:
        where = server.rpartition("@")[2]  # the host, not a user:password before it
        raise field_error(
            "queue",
            f"names a server ({where}): only the environment's own Redis add-on is read",
            f"leave the server out: 'redis:///{key or 'jobs'}'",
        )
    if not key or len(key) > 256 or any(c.isspace() or not c.isprintable() for c in key):
        message = "should name a key of 1 to 256 characters, without spaces or control characters"
        raise field_error("queue", message, example)
    return key


def _path_pattern(value: str) -> str:
    if value.startswith("/") and len(value) <= 255:
        return value
    raise field_error(
        "path_pattern",
        "should be a path pattern starting with '/'",
        f"use {'/' + value.lstrip('/')!r}",
    )


Name = Annotated[str, AfterValidator(_name), Doc("name")]
ServiceRef = Annotated[str, AfterValidator(_service_ref), Doc("service name")]
Command = Annotated[str, AfterValidator(_command), Doc("string")]
Port = Annotated[bool, BeforeValidator(_port), Doc('"$PORT" or boolean')]
Duration = Annotated[
    float,
    BeforeValidator(from_units("duration", parse_duration)),
    Doc("duration", lambda seconds: f'"{format_duration(seconds)}"'),
]
Size = Annotated[
    int,
    BeforeValidator(from_units("size", parse_size)),
    Doc("size", lambda size: f'"{format_size(size)}"'),
]
InstanceAmount = Annotated[
    Amount,
    PlainValidator(from_units("amount", parse_amount)),
    Doc('integer or "N%"', lambda amount: f'"{amount}"' if amount.percent else str(amount)),
]
Percent = Annotated[
    float,
    PlainValidator(from_units("percent", parse_percent)),
    Doc('"N%"', lambda number: f'"{number:g}%"'),
]
Increase = Annotated[
    float,
    PlainValidator(from_units("percent", parse_increase)),
    Doc('"N%"', lambda share: f'"{share * 100:g}%"'),
]
Memory = Annotated[Size, AfterValidator(_min_memory)]
HealthPath = Annotated[str, AfterValidator(_health_path), Doc("string")]
ConfigKey = Annotated[str, AfterValidator(_config_key), Doc("variable name")]
Hostname = Annotated[str, AfterValidator(_hostname), Doc("hostname")]
BranchName = Annotated[str, AfterValidator(_branch), Doc("branch name")]
Webhook = Annotated[str, AfterValidator(_webhook), Doc("URL or $NAME")]
Region = Annotated[str, AfterValidator(_region), Doc("AWS region")]
BucketName = Annotated[str, AfterValidator(_bucket), Doc("S3 bucket name")]
KeyPrefix = Annotated[str, AfterValidator(_key_prefix), Doc("S3 key prefix")]
S3Endpoint = Annotated[str, AfterValidator(_endpoint), Doc("URL")]
CertificateArn = Annotated[str, AfterValidator(_acm_arn), Doc("ACM certificate ARN")]
UsEast1CertificateArn = Annotated[
    str, AfterValidator(_us_east_1_arn), Doc("ACM certificate ARN (us-east-1)")
]
GithubRepo = Annotated[str, AfterValidator(_github_repo), Doc('"org/repo"')]
DbInstanceClass = Annotated[
    str, AfterValidator(_instance_class("db", "db.t4g.micro")), Doc("RDS instance class")
]
CacheNodeType = Annotated[
    str, AfterValidator(_instance_class("cache", "cache.t4g.micro")), Doc("ElastiCache node type")
]
HostedZoneId = Annotated[str, AfterValidator(_hosted_zone), Doc("Route 53 zone ID")]
SecretName = Annotated[str, AfterValidator(_secret_name), Doc("Secrets Manager name")]
LogRetention = Annotated[int, AfterValidator(_log_retention), Doc("days")]
PathPattern = Annotated[str, AfterValidator(_path_pattern), Doc("path pattern")]
Queue = Annotated[str, AfterValidator(_queue), Doc('"redis:///<list key>"')]
MajorVersion = Annotated[str, AfterValidator(_major_version), Doc("major version")]
