"""The launchdeck.toml schema: the one source of truth for what a manifest may say.

docs/manifest.md is generated from these models (`python -m launchdeck.manifest.docs`), so every
field carries a description and an example. Value types live in values/fieldtypes.py; rules that
need more than one table at once (scale ordering, health on a portless service) run on the domain
objects in rules.py. Defaults come from the domain dataclasses so the two cannot drift.
"""

from __future__ import annotations

from typing import Literal, Self, cast

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from launchdeck.domain import (
    GitSpec,
    HealthCheck,
    NotifySpec,
    ReleaseSpec,
    Rollout,
    Scale,
    ServiceSpec,
    TestSpec,
)
from launchdeck.domain.autoscale import DEFAULT_SCALE_IN_STABILIZATION, DEFAULT_SCALE_OUT_COOLDOWN
from launchdeck.manifest.alerts.schema import AlertTable
from launchdeck.manifest.cron import CronOverride, CronTable
from launchdeck.manifest.deploy import DeployOverride, DeployTable
from launchdeck.manifest.queues import QueueTable
from launchdeck.manifest.schema_aws import AddonsTable, AwsTable, EnvAwsTable
from launchdeck.manifest.table import Table
from launchdeck.manifest.triage import ErrorsTable
from launchdeck.manifest.values.fieldtypes import (
    BranchName,
    Command,
    ConfigKey,
    Duration,
    HealthPath,
    Hostname,
    InstanceAmount,
    Memory,
    Name,
    Percent,
    Port,
    Queue,
    ServiceRef,
    Webhook,
)

_HEALTH, _SCALE, _ROLLOUT = HealthCheck(), Scale(), Rollout()
_SERVICE, _RELEASE = ServiceSpec(name="", command=""), ReleaseSpec(command="")
_TEST, _GIT = TestSpec(command=""), GitSpec()
_NOTIFY = NotifySpec()
_SHORTHAND = ("min", "max", "cpu", "requests_per_instance")  # of [autoscale], in `scale`


class BuildTable(Table):
    """How the source tree becomes a build. Every key is optional."""

    kind: Literal["python", "node", "generic"] | None = Field(
        default=None,
        examples=["python"],
        description="Buildpack; detected from the source tree when absent.",
    )
    command: Command | None = Field(
        default=None,
        examples=["npm run build"],
        description="Extra build step, run after the dependencies are installed.",
    )


class ReleaseTable(Table):
    """A command run once per release, before traffic moves (e.g. migrations). If it fails, the
    deploy stops with nothing changed."""

    command: Command = Field(
        examples=["python manage.py migrate"], description="The release-phase command."
    )
    timeout: Duration = Field(
        default=_RELEASE.timeout,
        gt=0,
        examples=["5m"],
        description="The release fails after this long.",
    )


class TestTable(Table):
    """A command run once per deploy in the new build, before its release is recorded: a
    failure (non-zero exit or the timeout) stops the deploy with nothing changed and rejects
    the `git push`. It gets the build's environment (`CI=true`), not the app's config."""

    __test__ = False  # not a pytest test class, despite the name

    command: Command = Field(
        examples=["python -m pytest -q"], description="The test command, run with /bin/sh."
    )
    timeout: Duration = Field(
        default=_TEST.timeout,
        gt=0,
        examples=["5m"],
        description="The tests fail after this long.",
    )


class GitTable(Table):
    """`git push` to the app's launchdeck remote: which environment each branch deploys to."""

    branches: dict[BranchName, Name] = Field(
        default_factory=lambda: dict(_GIT.branches),
        examples=[{"main": "staging", "release": "qa"}],
        description="Environment per branch; replaces the default. Other branches are refused.",
    )


Outcome = Literal["started", "succeeded", "failed", "rolled_back"]


class NotifyTable(Table):
    """Deployment notifications: Slack-compatible JSON (`text` plus `blocks`) posted to each
    webhook in the background, retried on 5xx and after a 429's `Retry-After`; a webhook that
    fails or hangs never slows or fails a deployment."""

    webhooks: list[Webhook] = Field(
        default_factory=list,
        examples=[["$SLACK_WEBHOOK_URL"]],
        description="URLs, or `$NAME` of a config var (set it with `config set --secret`).",
    )
    on: list[Outcome] = Field(
        default_factory=lambda: [cast(Outcome, o) for o in _NOTIFY.on],
        examples=[["failed", "rolled_back"]],
        description="Which outcomes are posted.",
    )


class HealthTable(Table):
    """How an instance shows it can take traffic. Only services with a `port` have one."""

    path: HealthPath = Field(
        default=_HEALTH.path,
        examples=["/health"],
        description="HTTP path the health probe requests.",
    )
    interval: Duration = Field(
        default=_HEALTH.interval, gt=0, examples=["1s"], description="Time between probes."
    )
    timeout: Duration = Field(
        default=_HEALTH.timeout,
        gt=0,
        examples=["2s"],
        description="A probe unanswered this long fails.",
    )
    healthy: int = Field(
        default=_HEALTH.healthy,
        ge=1,
        examples=[2],
        description="Consecutive passing probes before an instance counts as healthy.",
    )
    unhealthy: int = Field(
        default=_HEALTH.unhealthy,
        ge=1,
        examples=[3],
        description="Consecutive failing probes before an instance counts as unhealthy.",
    )
    grace: Duration = Field(
        default=_HEALTH.grace,
        ge=0,
        examples=["30s"],
        description="How long a new instance may take to become healthy before it fails.",
    )


class ScaleTable(Table):
    """How many instances run. When given, `min` <= `count` <= `max`."""

    count: int = Field(default=_SCALE.count, ge=0, examples=[2], description="Instances to run.")
    min: int | None = Field(
        default=_SCALE.min,
        ge=0,
        examples=[2],
        description="Fewest instances autoscaling may leave.",
    )
    max: int | None = Field(
        default=_SCALE.max, ge=1, examples=[8], description="Most instances autoscaling may start."
    )
    cpu: int | None = Field(
        default=_SCALE.cpu,
        ge=1,
        le=100,
        examples=[60],
        description="Autoscaling target: average CPU percent per instance (1-100).",
    )
    requests_per_instance: int | None = Field(
        default=_SCALE.requests_per_instance,
        ge=1,
        examples=[200],
        description="Autoscaling target: requests per second per instance.",
    )


class TargetTable(Table):
    """The figure autoscaling holds each instance at; with several, each recommends a count
    and the largest wins."""

    cpu: Percent | None = Field(
        default=None,
        examples=["60%"],
        description="CPU use per instance, a percentage of `resources.cpu` (of one core without "
        "it).",
    )
    requests_per_instance: float | None = Field(
        default=None, gt=0, examples=[50], description="Requests per second per instance."
    )
    p95_ms: float | None = Field(
        default=None,
        gt=0,
        examples=[300],
        description="The service's 95th percentile response time, in milliseconds.",
    )
    queue_depth: float | None = Field(
        default=None,
        gt=0,
        examples=[100],
        description="Messages waiting in the service's `queue` per instance (a worker's "
        "backlog, read every 2 seconds).",
    )

    @model_validator(mode="after")
    def _a_figure(self) -> Self:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise PydanticCustomError(
                "target",
                "should name a figure",
                {
                    "fix": 'use one of: target = { cpu = "60%" }, '
                    "{ requests_per_instance = 50 }, { p95_ms = 300 } or { queue_depth = 100 }",
                },
            )
        return self


class AutoscaleOverride(Table):
    """An environment's autoscaling: the keys given replace the service's own."""

    min: int | None = Field(default=None, ge=1, examples=[2], description="Fewest instances.")
    max: int | None = Field(default=None, ge=1, examples=[8], description="Most instances.")
    target: TargetTable | None = Field(
        default=None, examples=[{"cpu": "60%"}], description="The figure to hold per instance."
    )
    scale_out_cooldown: Duration | None = Field(
        default=None,
        ge=0,
        examples=["15s"],
        description="After scaling out, how long before the next scale-out.",
    )
    scale_in_stabilization: Duration | None = Field(
        default=None,
        ge=0,
        examples=["5m"],
        description="Scaling in goes to the largest count recommended over this window.",
    )
    max_step: int | None = Field(
        default=None,
        ge=1,
        examples=[4],
        description="Most instances one decision adds or removes (no limit when absent).",
    )


class AutoscaleTable(AutoscaleOverride):
    """Autoscaling: the count follows a figure per instance, between `min` and `max`, through
    the same health-gated path as `launchdeck scale`. Evaluated every 2 seconds on the metrics
    (requests and p95 over the last 10 seconds, CPU from the last 10-second sample): out at once,
    in after `scale_in_stabilization`. A service with `resources.memory` never grows past what
    the host's free memory takes (the `autoscale-capped` alert says so). A manual `launchdeck
    scale` holds the count until `launchdeck autoscale resume`."""

    min: int | None = Field(default=1, ge=1, examples=[2], description="Fewest instances.")
    max: int | None = Field(examples=[8], ge=1, description="Most instances.")
    target: TargetTable | None = Field(
        examples=[{"cpu": "60%"}],
        description='The figure to hold per instance: `cpu` ("60%"), `requests_per_instance` '
        "(req/s), `p95_ms` or `queue_depth` (messages waiting).",
    )
    scale_out_cooldown: Duration | None = Field(
        default=DEFAULT_SCALE_OUT_COOLDOWN,
        ge=0,
        examples=["15s"],
        description="After scaling out, how long before the next scale-out.",
    )
    scale_in_stabilization: Duration | None = Field(
        default=DEFAULT_SCALE_IN_STABILIZATION,
        ge=0,
        examples=["5m"],
        description="Scaling in goes to the largest count recommended over this window (as "
        "Kubernetes' HPA), so a dip does not remove instances a peak needs again.",
    )


class ResourcesTable(Table):
    """Limits for each instance of the service."""

    cpu: float | None = Field(
        default=None, gt=0, examples=[0.5], description="CPU cores; may be a fraction."
    )
    memory: Memory | None = Field(
        default=None, examples=["512MiB"], description="Memory limit; at least 4MiB."
    )


class RolloutTable(Table):
    """The pace of a rolling deploy, as a number of instances or a percentage of `count`."""

    max_surge: InstanceAmount = Field(
        default=_ROLLOUT.max_surge,
        examples=["100%"],
        description="How many new instances may run above the desired count.",
    )
    max_unavailable: InstanceAmount = Field(
        default=_ROLLOUT.max_unavailable,
        examples=[0],
        description="How many instances may be missing below the desired count.",
    )


class ServiceTable(Table):
    """A process type. Only services with a `port` receive traffic (`web` has one unless it says
    `port = false`); the others are workers."""

    command: Command = Field(
        examples=["gunicorn shop.wsgi --bind 0.0.0.0:$PORT"], description="The command to run."
    )
    port: Port | None = Field(
        default=None,
        examples=["$PORT"],
        description='"$PORT" (or true): each instance gets its own PORT and receives traffic. '
        "Not set: the service named `web` gets it (as on Heroku), the others are workers; "
        "`port = false` keeps `web` a worker.",
    )
    health: HealthTable | None = Field(
        default=None,
        examples=[{"path": "/health"}],
        description="Health check; a service with a port gets the defaults when absent.",
    )
    scale: ScaleTable = Field(
        default_factory=ScaleTable, examples=[{"count": 2}], description="Instance count."
    )
    resources: ResourcesTable = Field(
        default_factory=ResourcesTable,
        examples=[{"memory": "512MiB"}],
        description="Per-instance limits.",
    )
    rollout: RolloutTable = Field(
        default_factory=RolloutTable,
        examples=[{"max_unavailable": 1}],
        description="Rolling deploy pace.",
    )
    queue: Queue | None = Field(
        default=None,
        examples=["redis:///dramatiq:default"],
        description="The Redis list the service consumes, in the environment's Redis add-on "
        "(`redis:///rq:queue:default` for RQ, `redis:///dramatiq:default` for Dramatiq, "
        "`redis:///celery` for Celery): `ps` and the metrics show how many messages wait in it, "
        "and autoscaling can hold it with `target = { queue_depth = 100 }`. One host only.",
    )
    autoscale: AutoscaleTable | None = Field(
        default=None,
        examples=[{"min": 2, "max": 8, "target": {"cpu": "60%"}}],
        description="Autoscaling; `scale.count` is then the count a first deploy starts with.",
    )
    drain: Duration = Field(
        default=_SERVICE.drain,
        ge=0,
        examples=["10s"],
        description="How long a retiring instance finishes open requests after leaving the router.",
    )
    stop_timeout: Duration = Field(
        default=_SERVICE.stop_timeout,
        gt=0,
        examples=["30s"],
        description="Time between SIGTERM and SIGKILL when an instance stops.",
    )

    @model_validator(mode="after")
    def _autoscale_in_one_place(self) -> Self:
        """`scale`'s autoscaling keys are a shorthand of `[autoscale]`: not both."""
        given = [k for k in _SHORTHAND if k in self.scale.model_fields_set]
        if self.autoscale is not None and given:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    _problem(
                        ("scale", key),
                        "autoscaling is set in this service's [autoscale] table",
                        f"remove scale.{key}; give it in autoscale"
                        + ("" if key in ("min", "max") else f" as target = {{ {key} = ... }}"),
                    )
                    for key in given
                ],
            )
        return self


class EnvironmentTable(Table):
    """Overrides for one environment. Scale, health and resources entries are partial: the keys
    given replace the service's own, the others are kept."""

    scale: dict[ServiceRef, ScaleTable] = Field(
        default_factory=dict,
        examples=[{"web": {"count": 3, "max": 20}}],
        description="Scale per service.",
    )
    health: dict[ServiceRef, HealthTable] = Field(
        default_factory=dict,
        examples=[{"web": {"path": "/ready"}}],
        description="Health check per service.",
    )
    resources: dict[ServiceRef, ResourcesTable] = Field(
        default_factory=dict,
        examples=[{"web": {"memory": "1GiB"}}],
        description="Resources per service.",
    )
    deploy: DeployOverride | None = Field(
        default=None,
        examples=[{"strategy": "canary"}],
        description="`[deploy]` for this environment; the keys given replace the top-level ones.",
    )
    autoscale: dict[ServiceRef, AutoscaleOverride] = Field(
        default_factory=dict,
        examples=[{"web": {"min": 3, "max": 20}}],
        description="Autoscaling per service; a service without its own needs `max` and `target`.",
    )
    config: dict[ConfigKey, str] = Field(
        default_factory=dict,
        examples=[{"LOG_LEVEL": "info"}],
        description="Config vars for this environment; values are strings.",
    )
    domains: list[Hostname] = Field(
        default_factory=list,
        examples=[["api.example.com"]],
        description="Custom domains served by this environment.",
    )
    cron: dict[Name, CronOverride] = Field(
        default_factory=dict,
        examples=[{"nightly-report": {"enabled": False}}],
        description="Scheduled jobs as this environment has them; the keys given replace the "
        "job's, `enabled = false` leaves it out.",
    )
    aws: EnvAwsTable = Field(
        default_factory=EnvAwsTable,
        examples=[{"azs": 3, "db_instance": "db.t4g.small"}],
        description="`[aws]` values for this environment.",
    )
    addons: AddonsTable = Field(
        default_factory=AddonsTable,
        examples=[{"postgres": {"version": "16"}}],
        description="Add-ons for this environment; each one given replaces the top-level one.",
    )
    alerts: list[AlertTable] = Field(
        default_factory=list,
        examples=[[{"name": "slow", "enabled": False}]],
        description="Alerts of this environment: one named as a top-level alert replaces it, "
        "`enabled = false` turns it off here.",
    )


class ManifestFile(Table):
    """The top level of launchdeck.toml."""

    app: Name | None = Field(
        default=None, examples=["shop"], description="App name; the CLI's `--app` defaults to it."
    )
    build: BuildTable = Field(
        default_factory=BuildTable, examples=[{"kind": "python"}], description="Build settings."
    )
    release: ReleaseTable | None = Field(
        default=None,
        examples=[{"command": "python manage.py migrate"}],
        description="Release-phase command.",
    )
    test: TestTable | None = Field(
        default=None,
        examples=[{"command": "python -m pytest -q"}],
        description="Test command run on every deploy, before the release.",
    )
    git: GitTable = Field(
        default_factory=GitTable,
        examples=[{"branches": {"main": "staging"}}],
        description="Branches `git push` deploys.",
    )
    notify: NotifyTable = Field(
        default_factory=NotifyTable,
        examples=[{"webhooks": ["$SLACK_WEBHOOK_URL"]}],
        description="Deployment notifications.",
    )
    deploy: DeployTable = Field(
        default_factory=DeployTable,
        examples=[{"strategy": "canary", "steps": [10, 50, 100], "pause": "1m"}],
        description="How a release rolls out: rolling (default) or canary.",
    )
    services: dict[Name, ServiceTable] = Field(
        default_factory=dict,
        examples=[{"web": {"command": "gunicorn shop.wsgi", "port": "$PORT"}}],
        description="Process types by name; at least one, unless a Procfile provides them.",
    )
    addons: AddonsTable = Field(
        default_factory=AddonsTable,
        examples=[{"postgres": {"version": "16"}}],
        description="Backing services: PostgreSQL, Redis.",
    )
    alerts: list[AlertTable] = Field(
        default_factory=list,
        examples=[[{"name": "slow", "metric": "p95_ms", "above": 500, "for": "5m"}]],
        description="Alerts of every environment, posted to the `[notify]` webhooks.",
    )
    cron: dict[Name, CronTable] = Field(
        default_factory=dict,
        examples=[{"nightly-report": {"schedule": "0 3 * * *", "command": "python report.py"}}],
        description="Scheduled jobs by name: one-off runs of the current release.",
    )
    queues: dict[Name, QueueTable] = Field(
        default_factory=dict,
        examples=[{"emails": {"visibility_timeout": "5m", "max_receives": 3}}],
        description="Message queues by name: SQS queues on AWS (`QUEUE_<NAME>_URL`); no effect "
        "on one host, where the Redis add-on is the queue.",
    )
    errors: ErrorsTable = Field(
        default_factory=ErrorsTable,
        examples=[{"critical_paths": ["/checkout*"]}],
        description="How error groups are triaged: P0, P1 (both open an incident) or P2.",
    )
    environments: dict[Name, EnvironmentTable] = Field(
        default_factory=dict,
        examples=[{"production": {"domains": ["api.example.com"]}}],
        description="Overrides by environment name.",
    )
    aws: AwsTable = Field(
        default_factory=AwsTable,
        examples=[{"region": "eu-west-1"}],
        description="Settings for `launchdeck aws`.",
    )

    @model_validator(mode="after")
    def _env_cron_known(self) -> Self:
        """An environment changes the jobs the top level declares; it does not add its own."""
        problems = [
            _problem(
                ("environments", env, "cron", name),
                f"there is no [cron.{name}] to change",
                f"declare [cron.{name}] (with enabled = false in the environments without it)",
            )
            for env, table in self.environments.items()
            for name in table.cron
            if name not in self.cron
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    @model_validator(mode="after")
    def _env_autoscale_complete(self) -> Self:
        """An environment that autoscales a service the top level does not must say how."""
        problems = [
            _problem(
                ("environments", env, "autoscale", name, key),
                f"is required: {name} does not autoscale outside this environment",
                "add " + ("max = 8" if key == "max" else 'target = { cpu = "60%" }'),
                missing=True,
            )
            for env, table in self.environments.items()
            for name, patch in table.autoscale.items()
            if name in self.services and not _autoscales(self.services[name])
            for key in ("max", "target")
            if getattr(patch, key) is None
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self


def _autoscales(service: ServiceTable) -> bool:
    scale = service.scale
    return service.autoscale is not None or (scale.cpu or scale.requests_per_instance) is not None


def _problem(
    loc: tuple[str, ...], message: str, fix: str, *, missing: bool = False
) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("autoscale", message, {"fix": fix, "hide_value": missing}),
        loc=loc,
        input=None,
    )
