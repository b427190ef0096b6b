"""Everything about a manifest that can be checked for AWS before any AWS call.

Each problem is an AwsIssue naming the manifest path, the value, what is wrong and the fix, in
the manifest's own words (docs/aws.md lists them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from launchdeck.domain import Manifest, ServiceSpec
from launchdeck.domain.autoscale import ScaleMetric
from launchdeck.drivers.aws.errors import AwsIssue
from launchdeck.drivers.aws.fargate import BadSize, size, task_size
from launchdeck.drivers.aws.names import RUN, title
from launchdeck.drivers.aws.regions import REGIONS
from launchdeck.drivers.aws.synth.alerting.checks import alert_issues
from launchdeck.drivers.aws.synth.compute.canary import longest_pause, minutes
from launchdeck.drivers.aws.synth.data.versions import POSTGRES_VERSIONS, REDIS_VERSIONS
from launchdeck.drivers.aws.synth.jobs.expressions import NoEquivalent, expression
from launchdeck.drivers.aws.synth.naming import env_domain
from launchdeck.manifest.errors import MISSING
from launchdeck.manifest.values.suggest import closest
from launchdeck.manifest.values.units import format_duration, format_number

MAX_DRAIN = 3600  # the ALB's longest deregistration delay
MAX_STOP_TIMEOUT = 120  # Fargate's longest stopTimeout


# Logical IDs the stack uses for itself, which `<Title>Logs` of such a service would repeat;
# `run` is the one-off task's (RunTask, RunLogs, the RunTaskFamily output).
RESERVED_SERVICES = ("default-group-restrictor", "slack-notifier", RUN)
MAX_VISIBILITY_TIMEOUT = 12 * 3600  # SQS's limits
MIN_RETENTION, MAX_RETENTION = 60, 14 * 24 * 3600
MAX_RECEIVES = 1000


def shared_issues(manifest: Manifest) -> list[AwsIssue]:
    """What stops the shared stack: no app name, services that would share logical ids."""
    if manifest.app is not None:
        return list(_title_issues(manifest))
    return [
        AwsIssue(
            "app",
            MISSING,
            "is required on AWS: stack, cluster and repository names are made from it",
            'add app = "<name>" at the top of launchdeck.toml',
        )
    ]


def validate(manifest: Manifest, env: str) -> list[AwsIssue]:
    """Every problem that stops `manifest` from running as environment `env` on AWS."""
    issues = shared_issues(manifest)
    if manifest.app is None:
        return issues
    merged = manifest.for_env(env)
    issues += [
        AwsIssue(
            f"services.{name}",
            name,
            "is a name the AWS stack uses for its own resources",
            f"rename the service, e.g. to '{name}-app'",
        )
        for name in manifest.services
        if name in RESERVED_SERVICES
    ]
    issues += _region_issues(manifest, env)
    issues += _edge_issues(manifest, env)
    for spec in merged.services.values():
        issues += _service_issues(manifest, env, spec)
        issues += _queue_depth_issues(manifest, env, spec)
    issues += _addon_issues(manifest)
    issues += alert_issues(manifest, env)
    issues += _deploy_issues(manifest, env)
    issues += _title_issues(manifest, (("cron", "job"), ("queues", "queue")))
    issues += _cron_issues(manifest, env)
    issues += _queue_issues(manifest)
    return issues


def _title_issues(
    manifest: Manifest, tables: tuple[tuple[str, str], ...] = (("services", "service"),)
) -> Iterator[AwsIssue]:
    """Services whose logical ids and outputs would be one and the same: `web-2` and `web2`;
    so too jobs, and queues, when `tables` names them."""
    for table, noun in tables:
        first: dict[str, str] = {}
        for name in getattr(manifest, table):
            other = first.setdefault(title(name), name)
            if other != name:
                yield AwsIssue(
                    f"{table}.{name}",
                    name,
                    f"gets the same CloudFormation names as {noun} '{other}' ({title(name)}...)",
                    f"rename '{name}' or '{other}'",
                )


def _aws_path(manifest: Manifest, env: str, key: str) -> str:
    override = manifest.environments.get(env)
    if override is not None and getattr(override.aws, key) is not None:
        return f"environments.{env}.aws.{key}"
    return f"aws.{key}"


def _region_issues(manifest: Manifest, env: str) -> Iterator[AwsIssue]:
    aws = manifest.for_env(env).aws
    region = REGIONS.get(aws.region)
    if region is None:
        # "eu-west-9" most likely meant another number of the same area, else a typo.
        area = aws.region.rsplit("-", 1)[0]
        same_area = sorted(code for code in REGIONS if code.rsplit("-", 1)[0] == area)
        match = same_area[0] if same_area else closest(aws.region, REGIONS)
        known = ", ".join(sorted(REGIONS))
        fix = f"did you mean {match!r}?" if match else f"use one of: {known}"
        yield AwsIssue("aws.region", aws.region, "is not an AWS region launchdeck knows", fix)
        return
    if aws.azs > region.azs:
        yield AwsIssue(
            _aws_path(manifest, env, "azs"),
            aws.azs,
            f"{region.code} has {region.azs} Availability Zones an account can use",
            f"use azs = {region.azs}, or a region with 3 or more such as 'us-east-2'",
        )
    if aws.certificate_arn and f":acm:{aws.region}:" not in aws.certificate_arn:
        yield AwsIssue(
            _aws_path(manifest, env, "certificate_arn"),
            aws.certificate_arn,
            f"is not in {aws.region}: a load balancer only uses certificates of its own region",
            f"request or import the certificate in ACM in {aws.region} and use its ARN",
        )


def _edge_issues(manifest: Manifest, env: str) -> Iterator[AwsIssue]:
    aws, domain = manifest.for_env(env).aws, env_domain(manifest, env)
    routed = [spec.name for spec in manifest.services.values() if spec.routed]
    if aws.cloudfront is not None and not routed:
        yield AwsIssue(
            "aws.cloudfront",
            MISSING,
            "has nothing to serve: no service has a port",
            'add port = "$PORT" to the web service, or remove [aws.cloudfront]',
        )
    if aws.cloudfront is not None and domain is None:
        yield AwsIssue(
            "aws.cloudfront",
            MISSING,
            "needs aws.domain: CloudFront reaches the load balancer over HTTPS by that name",
            'add aws.domain = "shop.example.com" (your domain)',
        )
    if aws.cloudfront and not aws.cloudfront.certificate_arn and aws.region != "us-east-1":
        yield AwsIssue(
            "aws.cloudfront.certificate_arn",
            MISSING,
            f"is required outside us-east-1: CloudFront cannot use a certificate from {aws.region}",
            "request a certificate for the domain in ACM in us-east-1 and set its ARN here",
        )
    if len(routed) > 1 and domain is None:
        second = sorted(routed, key=lambda name: name != "web")[1]
        yield AwsIssue(
            f"services.{second}.port",
            True,
            f"a second routed service is reached by host name ({second}.<domain>), "
            "which needs aws.domain",
            'add aws.domain = "shop.example.com", or remove port from all but one service',
        )


def _service_issues(manifest: Manifest, env: str, spec: ServiceSpec) -> Iterator[AwsIssue]:
    name, override = spec.name, manifest.environments.get(env)

    def path(field: str) -> str:
        if override is not None and name in getattr(override, field, {}):
            return f"environments.{env}.{field}.{name}"
        return f"services.{name}.{field}"

    resources = spec.resources
    try:
        task_size(resources.cpu, resources.memory)
    except BadSize as bad:
        shown: dict[str, object] = {}
        if resources.cpu is not None:
            shown["cpu"] = format_number(resources.cpu)
        if resources.memory is not None:
            shown["memory"] = size(resources.memory)
        yield AwsIssue(path("resources"), shown, bad.message, bad.fix)
    if spec.drain > MAX_DRAIN:
        yield AwsIssue(
            f"services.{name}.drain",
            format_duration(spec.drain),
            f"should be at most {MAX_DRAIN}s: the load balancer drains for an hour at most",
            'use drain = "1h" or less',
        )
    if spec.stop_timeout > MAX_STOP_TIMEOUT:
        yield AwsIssue(
            f"services.{name}.stop_timeout",
            format_duration(spec.stop_timeout),
            f"should be at most {MAX_STOP_TIMEOUT}s: Fargate kills a container 2 minutes "
            "after SIGTERM at the latest",
            'use stop_timeout = "2m" or less',
        )


def _queue_depth_issues(manifest: Manifest, env: str, spec: ServiceSpec) -> Iterator[AwsIssue]:
    """A `queue_depth` target is read from the Redis add-on by the one-host autoscaler; ECS has
    no such figure to track."""
    depth = spec.autoscale.target(ScaleMetric.QUEUE_DEPTH) if spec.autoscale else None
    if depth is None:
        return
    override = manifest.environments.get(env)
    own = override is not None and spec.name in override.autoscale
    where = (
        f"environments.{env}.autoscale.{spec.name}" if own else f"services.{spec.name}.autoscale"
    )
    yield AwsIssue(
        f"{where}.target.queue_depth",
        format_number(depth),
        "is read from the Redis add-on by launchdeck's one-host autoscaler; on AWS the queue "
        "is in ElastiCache, which publishes no list length for ECS to track",
        f"scale {spec.name} on cpu on AWS: [environments.{env}.autoscale.{spec.name}] "
        'target = { cpu = "60%" }',
    )


def _deploy_issues(manifest: Manifest, env: str) -> Iterator[AwsIssue]:
    """A canary ECS would hold a step over a day, or CloudFormation would wait over 33 hours."""
    deploy = manifest.for_env(env).deploy
    if not deploy.canary or minutes(deploy.pause) <= (longest := longest_pause(deploy)):
        return
    override = manifest.environments.get(env)
    where = f"environments.{env}.deploy" if override and override.deploy else "deploy"
    yield AwsIssue(
        f"{where}.pause",
        format_duration(deploy.pause),
        f"is too long for ECS with steps = {list(deploy.steps)}: a step holds a day at most, "
        "and CloudFormation gives up on a deployment after 33 hours",
        f'use pause = "{format_duration(longest * 60)}" or less, or fewer steps',
    )


def _addon_issues(manifest: Manifest) -> Iterator[AwsIssue]:
    postgres, redis = manifest.addons.postgres, manifest.addons.redis
    if postgres is not None:
        offer = "a PostgreSQL version RDS offers"
        yield from _version_issue("postgres", postgres.aws_version, POSTGRES_VERSIONS, offer)
    if redis is not None:
        offer = "a Redis version ElastiCache offers"
        yield from _version_issue("redis", redis.version, REDIS_VERSIONS, offer)


def _version_issue(
    addon: str, version: str, offered: Collection[str], offer: str
) -> Iterator[AwsIssue]:
    if version not in offered:
        yield AwsIssue(
            f"addons.{addon}.version",
            version,
            f"is not {offer}",
            f"use one of {', '.join(repr(v) for v in offered)}",
        )


def _cron_issues(manifest: Manifest, env: str) -> Iterator[AwsIssue]:
    """A schedule or interval EventBridge Scheduler cannot run, where it is written."""
    override = manifest.environments.get(env)
    for name, job in manifest.for_env(env).cron.items():
        try:
            expression(job)
        except NoEquivalent as no:
            top = manifest.cron[name]
            changed = override is not None and name in override.cron
            own = changed and getattr(job, no.key) != getattr(top, no.key)
            where = f"environments.{env}.cron.{name}" if own else f"cron.{name}"
            value = job.schedule if no.key == "schedule" else format_duration(job.every or 0)
            yield AwsIssue(f"{where}.{no.key}", value, no.message, no.fix)


def _queue_issues(manifest: Manifest) -> Iterator[AwsIssue]:
    """What SQS does not take."""
    for name, queue in manifest.queues.items():
        if queue.visibility_timeout > MAX_VISIBILITY_TIMEOUT:
            yield AwsIssue(
                f"queues.{name}.visibility_timeout",
                format_duration(queue.visibility_timeout),
                "should be at most 12h: SQS hides a received message for 12 hours at most",
                'use visibility_timeout = "12h" or less, and split longer jobs',
            )
        if not MIN_RETENTION <= queue.retention <= MAX_RETENTION:
            yield AwsIssue(
                f"queues.{name}.retention",
                format_duration(queue.retention),
                "should be between 1m and 336h (14 days): what SQS keeps a message for",
                'use retention = "336h" or less (and "1m" or more)',
            )
        if queue.max_receives > MAX_RECEIVES:
            yield AwsIssue(
                f"queues.{name}.max_receives",
                queue.max_receives,
                f"should be at most {MAX_RECEIVES}: SQS's redrive counts no higher",
                f"use max_receives = {MAX_RECEIVES} or less",
            )
