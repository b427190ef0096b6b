"""Rules that span fields or tables, checked on the merged domain Manifest.

The schema checks each value on its own; these need several at once (count against min and max,
health against port), and environment overrides only make sense after merging.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from launchdeck.domain import Manifest, Rollout, Scale, ServiceSpec
from launchdeck.domain.autoscale import Autoscale, ScaleMetric
from launchdeck.manifest.errors import MISSING, Issue
from launchdeck.manifest.values.units import format_number

NO_SERVICES_FIX = (
    'add [services.web] with command = "..." (web receives traffic on $PORT), '
    'or a Procfile with "web: <command>"'
)


def check(manifest: Manifest) -> list[Issue]:
    """Every cross-field problem in `manifest`, in file order."""
    if not manifest.services:
        return [Issue("services", MISSING, "at least one service is required", NO_SERVICES_FIX)]
    issues: list[Issue] = []
    for name, spec in manifest.services.items():
        issues += _service_issues(f"services.{name}", spec)
    for env, override in manifest.environments.items():
        prefix = f"environments.{env}"
        for name, scale in override.scale.items():
            issues += _scale_issues(f"{prefix}.scale.{name}", scale)
        for name, autoscale in override.autoscale.items():
            if autoscale is not None and autoscale != manifest.services[name].autoscale:
                spec = manifest.services[name]
                where = f"{prefix}.autoscale.{name}"
                issues += _autoscale_issues(where, spec, autoscale, f"{where}.target")
        for name in override.health:
            if not manifest.services[name].port:
                issues.append(_portless_health(f"{prefix}.health.{name}", name))
        issues += _secret_config_issues(prefix, override.config, manifest.aws.secrets)
    issues += _canary_issues("deploy", manifest)
    for env, override in manifest.environments.items():
        if override.deploy is not None and override.deploy != manifest.deploy:
            issues += _canary_issues(f"environments.{env}.deploy", manifest.for_env(env))
    return issues + _aws_issues(manifest)


def _canary_issues(path: str, manifest: Manifest) -> list[Issue]:
    """A canary splits traffic: only services with a port have any."""
    deploy = manifest.deploy
    if not deploy.canary:
        return []
    routed = sorted(name for name, spec in manifest.services.items() if spec.port)
    if not routed:
        return [
            Issue(
                f"{path}.strategy",
                deploy.strategy.value,
                "no service has a port, so there is no traffic to split",
                'use strategy = "rolling", or add port = "$PORT" to the service that serves',
            )
        ]
    return [
        Issue(
            f"{path}.services",
            list(deploy.services or ()),
            f"{name} has no port, so a canary has no traffic of it to split",
            f"use services = {json.dumps(routed)}: the others roll out once the canary reaches "
            "100%",
        )
        for name in deploy.services or ()
        if name not in routed
    ]


def scale_cap_issues(manifest: Manifest, cap: int) -> list[Issue]:
    """Scale values above the server's cap on instances per service (LAUNCHDECK_MAX_SCALE).
    The cap is the server's, not the file's, so this runs where it is known: at deploy. An
    environment's value is reported only where it differs from the service's own."""
    issues: list[Issue] = []
    for name, spec in manifest.services.items():
        issues += _over_cap(f"services.{name}.scale", spec.scale, cap)
        if spec.autoscale is not None and spec.autoscale.max > cap:
            issues += _over_cap(f"services.{name}.autoscale", spec.autoscale, cap)
    for env, override in manifest.environments.items():
        for name, scale in override.scale.items():
            own = manifest.services[name].scale if name in manifest.services else None
            issues += _over_cap(f"environments.{env}.scale.{name}", scale, cap, own)
    return issues


def _over_cap(
    path: str, scale: Scale | Autoscale, cap: int, inherited: Scale | None = None
) -> list[Issue]:
    fix = "use {key} = {cap} or less, or ask an admin to raise LAUNCHDECK_MAX_SCALE on the server"
    return [
        Issue(
            f"{path}.{key}",
            value,
            f"should be at most {cap}: this server runs at most {cap} instances per service",
            fix.format(key=key, cap=cap),
        )
        for key in ("count", "min", "max")
        if (value := getattr(scale, key, None)) is not None
        and value > cap
        and (inherited is None or getattr(inherited, key) != value)
    ]


def _secret_config_issues(
    prefix: str, config: Mapping[str, str], secrets: tuple[str, ...]
) -> list[Issue]:
    return [
        Issue(
            f"{prefix}.config.{key}",
            MISSING,
            "is listed in aws.secrets, so its value must not be written in the manifest",
            f"remove it here and store it as the SSM SecureString /launchdeck/<app>/<env>/{key}",
        )
        for key in config
        if key in secrets
    ]


def _aws_issues(manifest: Manifest) -> list[Issue]:
    aws = manifest.aws
    if aws.hosted_zone_id is None or aws.domain is not None:
        return []
    return [
        Issue(
            "aws.hosted_zone_id",
            aws.hosted_zone_id,
            "needs aws.domain: the zone is where the domain's records are created",
            'add aws.domain = "<your domain in that zone>" or remove hosted_zone_id',
        )
    ]


def _service_issues(path: str, spec: ServiceSpec) -> list[Issue]:
    issues = _scale_issues(f"{path}.scale", spec.scale) + _rollout_issues(path, spec.rollout)
    if spec.health is not None and not spec.port:
        issues.insert(0, _portless_health(f"{path}.health", spec.name))
    if spec.autoscale is not None:
        shorthand = spec.scale.cpu is not None or spec.scale.requests_per_instance is not None
        where = f"{path}.scale" if shorthand else f"{path}.autoscale"
        target = f"{where}.{{metric}}" if shorthand else f"{where}.target"
        issues += _autoscale_issues(where, spec, spec.autoscale, target)
    return issues


def _autoscale_issues(
    path: str, spec: ServiceSpec, autoscale: Autoscale, target_path: str
) -> list[Issue]:
    if path.endswith(".scale") and spec.scale.max is None:  # the shorthand in `scale`
        return [
            Issue(
                f"{path}.max",
                MISSING,
                "is required with an autoscaling target (cpu or requests_per_instance)",
                f"add max = {max(spec.scale.count, spec.scale.min or 0) * 4 or 4} "
                "(the most instances to run)",
            )
        ]
    if autoscale.min > autoscale.max:
        return [
            Issue(
                f"{path}.min",
                autoscale.min,
                f"should be at most max ({autoscale.max})",
                f"use min = {autoscale.max} or less, or raise max",
            )
        ]
    return [
        Issue(
            target_path.format(metric=target.metric.value),
            format_number(target.value) if "{metric}" in target_path else target.metric.value,
            f"{spec.name} has no port, so the router measures no {target.metric.value} for it",
            'scale it on cpu: target = { cpu = "60%" }, or add port = "$PORT"',
        )
        for target in autoscale.targets
        if target.metric.routed_only and not spec.port
    ] + [
        Issue(
            f"{target_path}.queue_depth",  # never the shorthand: `scale` has no queue_depth
            format_number(target.value),
            f"{spec.name} declares no queue, so it has no queue depth",
            'add queue = "redis:///<list key>" to the service (the Redis list it consumes)',
        )
        for target in autoscale.targets
        if target.metric == ScaleMetric.QUEUE_DEPTH and spec.queue is None
    ]


def _portless_health(path: str, service: str) -> Issue:
    return Issue(
        path,
        MISSING,
        f"{service} has no port, so there is nothing to health-check",
        'add port = "$PORT" to the service or remove health',
    )


def _scale_issues(path: str, scale: Scale) -> list[Issue]:
    low, high, count = scale.min, scale.max, scale.count
    if low is not None and high is not None and low > high:
        # count is then necessarily out of one bound too; one issue is the clearer report.
        return [
            Issue(f"{path}.min", low, f"should be at most max ({high})", "lower min or raise max")
        ]
    if low is not None and count < low:
        return [
            Issue(
                f"{path}.count",
                count,
                f"should be at least min ({low})",
                f"use count = {low} or lower min",
            )
        ]
    if high is not None and count > high:
        return [
            Issue(
                f"{path}.count",
                count,
                f"should be at most max ({high})",
                f"use count = {high} or raise max",
            )
        ]
    return []


def _rollout_issues(path: str, rollout: Rollout) -> list[Issue]:
    if rollout.max_surge.value or rollout.max_unavailable.value:
        return []
    return [
        Issue(
            f"{path}.rollout",
            {"max_surge": str(rollout.max_surge), "max_unavailable": str(rollout.max_unavailable)},
            "max_surge and max_unavailable are both 0, so a deploy could never replace an instance",
            'set max_surge = "100%" (start new instances first) or max_unavailable = 1',
        )
    ]
