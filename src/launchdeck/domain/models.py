"""The nouns. Durations are seconds (float), sizes are bytes (int)."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from launchdeck.domain.alerts import AlertRule
from launchdeck.domain.autoscale import Autoscale
from launchdeck.domain.canary import DeploySpec
from launchdeck.domain.errortracking import TriageRules
from launchdeck.domain.jobs import CronJob
from launchdeck.domain.queues import QueueSpec

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,29}\Z")  # \Z: "$" would let a trailing newline in
NatMode = Literal["per-az", "single"]  # NAT gateways: one per AZ, or one for the VPC


@dataclass(frozen=True)
class Amount:
    """A count of instances, absolute (`1`) or relative to the desired count (`"50%"`)."""

    value: int
    percent: bool = False

    def resolve(self, count: int) -> int:
        if not self.percent:
            return self.value
        return math.ceil(count * self.value / 100)

    def __str__(self) -> str:
        return f"{self.value}%" if self.percent else str(self.value)


@dataclass(frozen=True)
class HealthCheck:
    path: str = "/"
    interval: float = 1.0
    timeout: float = 2.0
    healthy: int = 2
    unhealthy: int = 3
    grace: float = 30.0


@dataclass(frozen=True)
class Scale:
    count: int = 1
    min: int | None = None
    max: int | None = None
    cpu: int | None = None
    requests_per_instance: int | None = None


@dataclass(frozen=True)
class Resources:
    cpu: float | None = None
    memory: int | None = None


@dataclass(frozen=True)
class Rollout:
    """How many instances a rolling deploy may add above, or take below, the desired count."""

    max_surge: Amount = Amount(100, percent=True)
    max_unavailable: Amount = Amount(0)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    command: str
    port: bool = False
    health: HealthCheck | None = None
    scale: Scale = Scale()
    resources: Resources = Resources()
    rollout: Rollout = Rollout()
    drain: float = 10.0
    stop_timeout: float = 30.0
    autoscale: Autoscale | None = None
    queue: str | None = None  # the key of the Redis list it consumes, in the env's add-on

    @property
    def routed(self) -> bool:
        return self.port


@dataclass(frozen=True)
class BuildSpec:
    kind: str | None = None  # python | node | generic; None = detect
    command: str | None = None


@dataclass(frozen=True)
class ReleaseSpec:
    command: str
    timeout: float = 300.0


@dataclass(frozen=True)
class TestSpec:
    """`[test]`: run once per deploy in the new build, before a release exists."""

    __test__ = False  # not a pytest test class, despite the name

    command: str
    timeout: float = 600.0


def _default_branches() -> Mapping[str, str]:
    return {"main": "staging"}


@dataclass(frozen=True)
class GitSpec:
    """`[git]`: which environment a `git push` of each branch deploys to."""

    branches: Mapping[str, str] = field(default_factory=_default_branches)

    def env_for(self, branch: str) -> str | None:
        return self.branches.get(branch)


NOTIFY_EVENTS = ("started", "succeeded", "failed", "rolled_back")


@dataclass(frozen=True)
class NotifySpec:
    """`[notify]`: webhooks told when a deployment starts and how it ends. An entry `$NAME`
    is read from the environment's config, so a webhook URL can be a secret."""

    webhooks: tuple[str, ...] = ()
    on: tuple[str, ...] = NOTIFY_EVENTS

    def urls(self, outcome: str, config: Mapping[str, str]) -> list[str]:
        return self.urls_for_alerts(config) if outcome in self.on else []

    def urls_for_alerts(self, config: Mapping[str, str]) -> list[str]:
        """Every webhook: alerts go to all of them, whatever `on` says of deployments."""
        resolved = (config.get(w[1:], "") if w.startswith("$") else w for w in self.webhooks)
        return [url for url in resolved if url]


@dataclass(frozen=True)
class BackupCopy:
    """`[addons.postgres] backups.s3`: where verified backups (and the WAL archive) are copied.
    Credentials are the control plane's own (the AWS credential chain), never the manifest's."""

    bucket: str
    prefix: str = ""  # object keys start with it, e.g. "launchdeck/"
    endpoint: str | None = None  # an S3-compatible store (MinIO, R2); None: AWS S3
    region: str | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass(frozen=True)
class BackupPolicy:
    """`[addons.postgres] backups`: a base backup when the newest is older than `every`; backups
    older than `keep` are deleted (never the newest verified one); each verified backup is
    copied to `s3` when set."""

    every: float = 86400.0  # daily
    keep: float = 7 * 86400.0  # a week
    s3: BackupCopy | None = None


@dataclass(frozen=True)
class PostgresAddon:
    version: str | None = None  # major version; None: the newest installed here, "16" on AWS
    backups: BackupPolicy = BackupPolicy()
    scrub: str | None = None  # run on a copy `db pull` made, before the target's instances see it

    @property
    def aws_version(self) -> str:
        return self.version or "16"


@dataclass(frozen=True)
class RedisAddon:
    version: str = "7"  # major version


@dataclass(frozen=True)
class Addons:
    """Backing services an app asks for; each adds its URL (DATABASE_URL, REDIS_URL)."""

    postgres: PostgresAddon | None = None
    redis: RedisAddon | None = None


@dataclass(frozen=True)
class CloudFront:
    static_paths: tuple[str, ...] = ()  # path patterns CloudFront caches, e.g. "/_next/static/*"
    certificate_arn: str | None = None  # an ACM certificate in us-east-1 for the domain


@dataclass(frozen=True)
class AwsSettings:
    """How an app runs on AWS. Defaults are a small, production-shaped setup."""

    region: str = "us-east-1"
    azs: int = 2
    nat: NatMode = "per-az"
    certificate_arn: str | None = None
    domain: str | None = None
    hosted_zone_id: str | None = None
    db_instance: str = "db.t4g.micro"
    db_storage_gb: int = 20
    cache_node: str = "cache.t4g.micro"
    cloudfront: CloudFront | None = None
    github: str | None = None  # "org/repo" allowed to deploy through GitHub's OIDC
    slack_webhook_secret: str | None = None  # None: "launchdeck/<app>/slack-webhook"
    log_retention_days: int = 30
    secrets: tuple[str, ...] = ()  # config keys read from SSM Parameter Store at task start
    read_only_root: bool = True


@dataclass(frozen=True)
class AwsOverride:
    """`[environments.<env>.aws]`: the keys given (not None) replace the app's `[aws]` values."""

    azs: int | None = None
    nat: NatMode | None = None
    certificate_arn: str | None = None
    domain: str | None = None
    db_instance: str | None = None
    db_storage_gb: int | None = None
    cache_node: str | None = None
    log_retention_days: int | None = None

    def apply(self, settings: AwsSettings) -> AwsSettings:
        given = {key: value for key, value in vars(self).items() if value is not None}
        return replace(settings, **given)


@dataclass(frozen=True)
class EnvOverride:
    scale: Mapping[str, Scale] = field(default_factory=dict)
    health: Mapping[str, HealthCheck] = field(default_factory=dict)
    resources: Mapping[str, Resources] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)
    domains: tuple[str, ...] = ()
    aws: AwsOverride = AwsOverride()
    addons: Addons = Addons()  # each add-on given replaces the top-level one
    alerts: tuple[AlertRule, ...] = ()  # one named as a top-level alert replaces it
    alerts_off: frozenset[str] = frozenset()  # top-level alerts this environment turns off
    autoscale: Mapping[str, Autoscale | None] = field(default_factory=dict)  # merged per service
    deploy: DeploySpec | None = None  # merged over the top-level `[deploy]`
    cron: Mapping[str, CronJob | None] = field(default_factory=dict)  # None: off here


@dataclass(frozen=True)
class Manifest:
    app: str | None
    services: Mapping[str, ServiceSpec]
    build: BuildSpec = BuildSpec()
    release: ReleaseSpec | None = None
    test: TestSpec | None = None
    git: GitSpec = field(default_factory=GitSpec)
    notify: NotifySpec = NotifySpec()
    environments: Mapping[str, EnvOverride] = field(default_factory=dict)
    addons: Addons = Addons()
    aws: AwsSettings = AwsSettings()
    alerts: tuple[AlertRule, ...] = ()
    alerts_off: frozenset[str] = frozenset()  # built-in alerts turned off (domain.alerts)
    deploy: DeploySpec = field(default_factory=DeploySpec)
    triage: TriageRules = field(default_factory=TriageRules)  # `[errors]`
    cron: Mapping[str, CronJob] = field(default_factory=dict)  # `[cron]` and app.json's
    queues: Mapping[str, QueueSpec] = field(default_factory=dict)  # `[queues]`

    def defaults_for(self, env: str) -> tuple[dict[str, str], tuple[str, ...]]:
        """`[environments.<env>]` config vars and custom domains."""
        override = self.environments.get(env)
        return (dict(override.config), override.domains) if override else ({}, ())

    def for_env(self, env: str) -> Manifest:
        """This manifest with `[environments.<env>]` applied to its services and `aws`."""
        override = self.environments.get(env)
        if override is None:
            return self
        services = {
            name: replace(
                spec,
                scale=override.scale.get(name, spec.scale),
                health=override.health.get(name, spec.health),
                resources=override.resources.get(name, spec.resources),
                autoscale=override.autoscale.get(name, spec.autoscale),
            )
            for name, spec in self.services.items()
        }
        addons = Addons(
            postgres=override.addons.postgres or self.addons.postgres,
            redis=override.addons.redis or self.addons.redis,
        )
        return replace(
            self,
            services=services,
            aws=override.aws.apply(self.aws),
            addons=addons,
            alerts=_alerts_for(self.alerts, override),
            alerts_off=self.alerts_off | override.alerts_off,
            deploy=override.deploy or self.deploy,
            cron=_cron_for(self.cron, override),
        )


def _cron_for(jobs: Mapping[str, CronJob], override: EnvOverride) -> dict[str, CronJob]:
    """The jobs, each as the environment changes it, less those it turns off."""
    merged = {**jobs, **override.cron}
    return {name: job for name, job in merged.items() if job is not None}


def _alerts_for(alerts: tuple[AlertRule, ...], override: EnvOverride) -> tuple[AlertRule, ...]:
    """The top-level alerts, each replaced by the environment's alert of the same name, less
    those it turns off, then the environment's own."""
    own = {a.name: a for a in override.alerts}
    merged = [own.pop(a.name, a) for a in alerts if a.name not in override.alerts_off]
    return (*merged, *own.values())


@dataclass(frozen=True)
class BuildRef:
    digest: str  # sha256:...
    kind: str
    created_at: float
    git_sha: str | None = None


@dataclass(frozen=True)
class Release:
    app: str
    env: str
    version: int
    build: BuildRef
    config: Mapping[str, str]
    services: Mapping[str, ServiceSpec]
    created_at: float
    description: str = ""
    release_command: ReleaseSpec | None = None
    secrets: frozenset[str] = frozenset()  # config keys whose values are secret
    notify: NotifySpec = NotifySpec()
    defaults: Mapping[str, str] = field(default_factory=dict)  # `[environments.<env>] config`
    domains: tuple[str, ...] = ()  # `[environments.<env>] domains`
    alerts: tuple[AlertRule, ...] = ()  # `[[alerts]]`, as the environment has them
    alerts_off: frozenset[str] = frozenset()  # the built-in alerts it turns off
    deploy: DeploySpec = field(default_factory=DeploySpec)  # how a deploy or promotion rolls out
    triage: TriageRules = field(default_factory=TriageRules)  # `[errors]`: error triage
    cron: Mapping[str, CronJob] = field(default_factory=dict)  # the environment's jobs

    def environ(self) -> dict[str, str]:
        """The app's config vars: the manifest's defaults, then what `config set` stored."""
        return {**self.defaults, **self.config}

    @property
    def name(self) -> str:
        return f"v{self.version}"


class DeploymentKind(enum.StrEnum):
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    CONFIG = "config"
    RESTART = "restart"
    SCALE = "scale"
    PROMOTE = "promote"
    AUTOSCALE = "autoscale"  # a scale the autoscaler decided


class DeploymentState(enum.StrEnum):
    PENDING = "pending"
    BUILDING = "building"
    ROLLING = "rolling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # nothing changed: build or release phase failed
    ROLLED_BACK = "rolled_back"  # new instances failed the gate; the old release kept serving

    @property
    def finished(self) -> bool:
        return self in (self.SUCCEEDED, self.FAILED, self.ROLLED_BACK)


@dataclass(frozen=True)
class Deployment:
    id: int
    app: str
    env: str
    kind: DeploymentKind
    state: DeploymentState
    created_at: float
    from_release: int | None = None
    to_release: int | None = None
    reason: str = ""
    finished_at: float | None = None
    canary: bool = False  # rolls out as a canary (the release's `[deploy]`, or `deploy --canary`)


class EventKind(enum.StrEnum):
    """What a deployment event records. The values are what the store holds and the API and the
    CLI show: scripts read them, so a value never changes."""

    STARTED = "started"
    BUILD_OUTPUT = "build"  # a line the build printed
    TEST = "test"
    TEST_OUTPUT = "test_output"
    TESTED = "tested"
    ADDON = "addon"  # an add-on is ready; its URL is a secret config var
    RELEASED = "released"  # the release exists; its release command (if any) runs next
    RELEASE_PHASE = "release_phase"
    RELEASE_OUTPUT = "release_output"
    RESUMED = "resumed"  # a control-plane restart interrupted the rollout
    AUTOSCALED = "autoscaled"  # the autoscaler's decision, with the figure that drove it
    CANARY = "canary"  # a canary step began, passed, or its analysis failed (with the figures)
    INSTANCE_STARTED = "instance_started"
    INSTANCE_HEALTHY = "instance_healthy"
    INSTANCE_ROUTED = "instance_routed"
    DRAINED = "drained"
    INSTANCE_STOPPED = "instance_stopped"
    GATE_FAILED = "gate_failed"  # the circuit breaker opens next
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class Event:
    deployment_id: int
    seq: int
    at: float
    kind: str  # an EventKind's value, as stored
    message: str


class Health(enum.StrEnum):
    """An instance's health as its gate, and then the reconciler, last saw it."""

    UNKNOWN = "unknown"  # not checked yet
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    NO_CHECK = "none"  # no port, so no health check: staying up is all it is asked

    @property
    def ok(self) -> bool:
        return self in (Health.HEALTHY, Health.NO_CHECK)


class InstanceState(enum.StrEnum):
    STARTING = "starting"  # spawned, health gate not yet passed
    RUNNING = "running"  # passed its gate; routed when the service has a port
    DRAINING = "draining"
    STOPPED = "stopped"
    CRASHED = "crashed"  # exited on its own; the reconciler replaces it
    FAILED = "failed"  # failed its health gate during a rollout


@dataclass(frozen=True)
class Instance:
    id: str  # "<app>-<env>-<service>-<suffix>"
    app: str
    env: str
    service: str
    release: int
    state: InstanceState
    port: int | None = None
    pid: int | None = None
    started_at: float | None = None  # process create_time, guards against pid reuse
    restarts: int = 0
    health: Health = Health.UNKNOWN

    @property
    def live(self) -> bool:
        return self.state in (InstanceState.STARTING, InstanceState.RUNNING, InstanceState.DRAINING)
