"""The `[addons]` and `[aws]` tables of launchdeck.toml, and `[environments.<env>.aws]`.

Part of the schema (schema.py includes these tables); kept apart so each module stays short.
Only values are checked here; what needs the region table or the Fargate sizes (a region's AZ
count, a cpu/memory pair) is checked by `launchdeck aws` before it synthesizes anything.
Defaults come from the domain dataclasses so the two cannot drift.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, NoReturn

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from launchdeck.domain import AwsSettings, BackupPolicy, PostgresAddon, RedisAddon
from launchdeck.manifest.table import Table
from launchdeck.manifest.values.fieldtypes import (
    CacheNodeType,
    CertificateArn,
    Command,
    ConfigKey,
    DbInstanceClass,
    Doc,
    GithubRepo,
    HostedZoneId,
    Hostname,
    LogRetention,
    MajorVersion,
    PathPattern,
    Region,
    SecretName,
    UsEast1CertificateArn,
)
from launchdeck.manifest.values.periods import Period, format_period

_AWS = AwsSettings()
_BACKUPS = BackupPolicy()
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class BackupsTable(Table):
    """Scheduled base backups of the add-on's PostgreSQL (with continuous WAL archiving between
    them, so any moment since the oldest backup can be restored). Each backup is restored into a
    scratch cluster right after it is taken and its row counts compared; a failed one is posted
    to the `[notify]` webhooks (as a failure) and shows as failed in `launchdeck db backups`."""

    every: Period = Field(
        default=_BACKUPS.every,
        ge=3600,
        examples=["12h"],
        description="A base backup is taken when the newest is older than this "
        "(a period: '1h', '12h', '24h', '7d', '2w'; at least 1h).",
    )
    keep: Period = Field(
        default=_BACKUPS.keep,
        ge=3600,
        examples=["14d"],
        description="Backups older than this are deleted, except the newest verified one; "
        "also how far back a restore can go. At least `every`.",
    )

    @field_validator("keep")
    @classmethod
    def _keep_covers_every(cls, keep: float, info: ValidationInfo) -> float:
        every = info.data.get("every")
        if isinstance(every, float) and keep < every:
            raise PydanticCustomError(
                "keep_too_short",
                "should be at least `every` ({every}), or the restorable window would have gaps",
                {
                    "every": format_period(every),
                    "fix": f'use keep = "{format_period(every)}"'
                    " or more, or take backups more often",
                },
            )
        return keep

    s3: Annotated[object, Doc("refused")] | None = Field(
        default=None,
        description="Not allowed here. Where backups are copied is a control-plane setting "
        "an admin sets (`launchdeck db backups target set --bucket ...`): the backup holds "
        "every app's data on this host.",
    )

    @field_validator("s3", mode="before")
    @classmethod
    def _no_destination_in_the_app(cls, value: object) -> NoReturn:
        raise refused_destination(value)


def refused_destination(value: object) -> PydanticCustomError:
    """`backups.s3` in a manifest: a deployer could send every app's data to their own bucket,
    signed with the control plane's credentials. The fix names the admin's command, with the
    bucket the manifest gave when it is a plain bucket name (the admin may paste it)."""
    bucket = value.get("bucket") if isinstance(value, dict) else None
    shown = bucket if isinstance(bucket, str) and _BUCKET.fullmatch(bucket) else "BUCKET"
    return PydanticCustomError(
        "control_plane_setting",
        "backup destinations are control-plane settings, not part of the app (the backup "
        "holds every app's data on this host)",
        {
            "fix": f"remove it and ask an admin to run: launchdeck db backups target set "
            f"--bucket {shown}",
            "hide_value": True,
        },
    )


class PostgresTable(Table):
    """A PostgreSQL database. Instances get `DATABASE_URL`; on AWS it is RDS, with the password
    in `PGPASSWORD` (see docs/aws.md)."""

    version: MajorVersion | None = Field(
        default=PostgresAddon().version,
        examples=["16"],
        description="PostgreSQL major version; when absent, the newest installed on this host "
        'locally and "16" on AWS.',
    )
    backups: BackupsTable = Field(
        default_factory=BackupsTable,
        examples=[{"every": "24h", "keep": "7d"}],
        description="Base backup schedule and retention (local driver; RDS keeps its own).",
    )
    scrub: Command | None = Field(
        default=None,
        examples=["python scrub.py"],
        description="Run by `launchdeck db pull` on the copied data, in the target's current "
        "build with its config (`DATABASE_URL` points at the copy), before the target's "
        "instances see it; a failure leaves the target as it was.",
    )


class RedisTable(Table):
    """A Redis. Instances get `REDIS_URL`; on AWS it is ElastiCache with TLS and an auth token."""

    version: MajorVersion = Field(
        default=RedisAddon().version, examples=["7"], description="Redis major version."
    )


class AddonsTable(Table):
    """Backing services the app needs. An empty table (`[addons.postgres]`) takes the defaults."""

    postgres: PostgresTable | None = Field(
        default=None, examples=[{"version": "16"}], description="A PostgreSQL database."
    )
    redis: RedisTable | None = Field(
        default=None, examples=[{"version": "7"}], description="A Redis."
    )


class CloudFrontTable(Table):
    """CloudFront in front of the load balancer: `static_paths` are cached, everything else is
    passed to the app uncached. Needs `aws.domain`: viewers reach CloudFront on that domain."""

    static_paths: list[PathPattern] = Field(
        default_factory=list,
        examples=[["/_next/static/*"]],
        description="Path patterns CloudFront caches (e.g. hashed assets).",
    )
    certificate_arn: UsEast1CertificateArn | None = Field(
        default=None,
        examples=[
            "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
        ],
        description="Certificate for the domain in us-east-1; not needed when `region` is "
        "us-east-1 (the load balancer's certificate serves both).",
    )


class AwsTable(Table):
    """How `launchdeck aws` runs the app: one CloudFormation stack per environment plus a shared
    one (docs/aws.md). Every key is optional."""

    region: Region = Field(default=_AWS.region, examples=["eu-west-1"], description="AWS region.")
    azs: int = Field(
        default=_AWS.azs, ge=2, le=3, examples=[3], description="Availability zones used (2 or 3)."
    )
    nat: Literal["per-az", "single"] = Field(
        default=_AWS.nat,
        examples=["single"],
        description='NAT gateways: one per AZ (survives an AZ outage) or "single" '
        "(about $37/month less per AZ after the first in us-east-1; see docs/aws.md).",
    )
    certificate_arn: CertificateArn | None = Field(
        default=None,
        examples=[
            "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
        ],
        description="ACM certificate for HTTPS. Without it (and without `domain`) the stack "
        "takes a `CertificateArn` parameter at deploy.",
    )
    domain: Hostname | None = Field(
        default=None,
        examples=["shop.example.com"],
        description="Production's domain; other environments get `<env>.<domain>`. Without "
        "`certificate_arn`, a DNS-validated ACM certificate is created for it (and for "
        "`<service>.<domain>`, the host of each other routed service).",
    )
    hosted_zone_id: HostedZoneId | None = Field(
        default=None,
        examples=["Z0123456789ABCDEFGHIJ"],
        description="Route 53 zone of `domain`: the certificate validates itself and the "
        "domain's DNS record is created.",
    )
    db_instance: DbInstanceClass = Field(
        default=_AWS.db_instance, examples=["db.t4g.small"], description="RDS instance class."
    )
    db_storage_gb: int = Field(
        default=_AWS.db_storage_gb,
        ge=20,
        le=65536,
        examples=[50],
        description="RDS storage (gp3), in GB.",
    )
    cache_node: CacheNodeType = Field(
        default=_AWS.cache_node, examples=["cache.t4g.small"], description="ElastiCache node type."
    )
    cloudfront: CloudFrontTable | None = Field(
        default=None,
        examples=[{"static_paths": ["/_next/static/*"]}],
        description="CloudFront in front of the load balancer.",
    )
    github: GithubRepo | None = Field(
        default=None,
        examples=["shop-inc/shop"],
        description="Repository whose GitHub Actions may deploy (OIDC, no stored keys).",
    )
    slack_webhook_secret: SecretName | None = Field(
        default=None,
        examples=["launchdeck/shop/slack-webhook"],
        description="Secrets Manager secret holding the Slack webhook URL alarms are posted to; "
        "default `launchdeck/<app>/slack-webhook`.",
    )
    log_retention_days: LogRetention = Field(
        default=_AWS.log_retention_days,
        examples=[90],
        description="How long CloudWatch keeps logs; set 365 for production in its "
        "`[environments.production.aws]`.",
    )
    secrets: list[ConfigKey] = Field(
        default_factory=list,
        examples=[["STRIPE_KEY"]],
        description="Config keys read at task start from SSM SecureString parameters "
        "`/launchdeck/<app>/<env>/<KEY>`.",
    )
    read_only_root: bool = Field(
        default=_AWS.read_only_root,
        examples=[False],
        description="Containers get a read-only root filesystem (a writable `/tmp` is mounted).",
    )


class EnvAwsTable(Table):
    """`[aws]` values for one environment; the keys given replace the app's."""

    azs: int | None = Field(default=None, ge=2, le=3, examples=[3], description="See `aws.azs`.")
    nat: Literal["per-az", "single"] | None = Field(
        default=None, examples=["single"], description="See `aws.nat`."
    )
    certificate_arn: CertificateArn | None = Field(
        default=None,
        examples=[
            "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
        ],
        description="See `aws.certificate_arn`.",
    )
    domain: Hostname | None = Field(
        default=None,
        examples=["staging.example.com"],
        description="This environment's domain (default: `aws.domain` for production, "
        "`<env>.<aws.domain>` for the others).",
    )
    db_instance: DbInstanceClass | None = Field(
        default=None, examples=["db.t4g.small"], description="See `aws.db_instance`."
    )
    db_storage_gb: int | None = Field(
        default=None, ge=20, le=65536, examples=[50], description="See `aws.db_storage_gb`."
    )
    cache_node: CacheNodeType | None = Field(
        default=None, examples=["cache.t4g.small"], description="See `aws.cache_node`."
    )
    log_retention_days: LogRetention | None = Field(
        default=None, examples=[90], description="See `aws.log_retention_days`."
    )
