"""Validated schema models -> frozen domain objects, with environment overrides merged in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from launchdeck.domain import (
    Addons,
    AwsOverride,
    AwsSettings,
    BackupPolicy,
    BuildSpec,
    CloudFront,
    EnvOverride,
    GitSpec,
    HealthCheck,
    Manifest,
    NotifySpec,
    PostgresAddon,
    RedisAddon,
    ReleaseSpec,
    Resources,
    Rollout,
    Scale,
    ServiceSpec,
    TestSpec,
)
from launchdeck.domain.alerts import AlertMetric, AlertRule, LogAlert, MetricAlert
from launchdeck.domain.autoscale import Autoscale, ScaleMetric, Target
from launchdeck.domain.canary import DeploySpec
from launchdeck.domain.jobs import CronJob
from launchdeck.manifest.alerts.schema import AlertTable
from launchdeck.manifest.cron import override_cron, to_cron
from launchdeck.manifest.deploy import to_deploy
from launchdeck.manifest.procfile import WEB
from launchdeck.manifest.queues import to_queue
from launchdeck.manifest.schema import (
    AutoscaleOverride,
    EnvironmentTable,
    ManifestFile,
    ScaleTable,
    ServiceTable,
    TargetTable,
)
from launchdeck.manifest.schema_aws import AddonsTable, AwsTable, BackupsTable
from launchdeck.manifest.triage import to_triage


def to_manifest(file: ManifestFile, procfile: Mapping[str, ServiceSpec] | None = None) -> Manifest:
    """The domain Manifest for `file`; `procfile` services stand in when it defines none."""
    if file.services or procfile is None:
        services = {name: to_service(name, table) for name, table in file.services.items()}
    else:
        services = dict(procfile)
    jobs = {name: to_cron(name, table) for name, table in file.cron.items()}
    return Manifest(
        app=file.app,
        services=services,
        build=BuildSpec(**_all_fields(file.build)),
        release=ReleaseSpec(**_all_fields(file.release)) if file.release else None,
        test=TestSpec(**_all_fields(file.test)) if file.test else None,
        git=GitSpec(branches=dict(file.git.branches)),
        notify=NotifySpec(tuple(file.notify.webhooks), tuple(file.notify.on)),
        environments={
            name: to_override(table, services, to_deploy(file.deploy), jobs)
            for name, table in file.environments.items()
        },
        addons=to_addons(file.addons),
        aws=to_aws(file.aws),
        alerts=to_alerts(file.alerts),
        alerts_off=frozenset(alert.name for alert in file.alerts if not alert.enabled),
        deploy=to_deploy(file.deploy),
        triage=to_triage(file.errors),
        cron=jobs,
        queues={name: to_queue(name, table) for name, table in file.queues.items()},
    )


def to_alerts(tables: list[AlertTable]) -> tuple[AlertRule, ...]:
    """The alerts that are on; an entry with `enabled = false` is left out."""
    return tuple(to_alert(table) for table in tables if table.enabled)


def to_alert(table: AlertTable) -> AlertRule:
    if table.log is not None:
        return LogAlert(
            name=table.name,
            pattern=table.log,
            count=table.count,
            within_s=table.within,
            service=table.service,
            keep_firing_for=table.keep_firing_for,
            repeat=table.repeat,
        )
    assert table.metric is not None  # the schema makes every alert one kind or the other
    threshold = table.above or table.below
    assert threshold is not None
    return MetricAlert(
        name=table.name,
        metric=AlertMetric(table.metric),
        threshold=threshold.value,
        above=table.above is not None,
        for_s=table.for_ or 0.0,
        datapoints=table.datapoints,
        service=table.service,
        keep_firing_for=table.keep_firing_for,
        repeat=table.repeat,
    )


def to_addons(table: AddonsTable) -> Addons:
    pg = table.postgres
    return Addons(
        postgres=PostgresAddon(pg.version, to_backup_policy(pg.backups), pg.scrub) if pg else None,
        redis=RedisAddon(**_all_fields(table.redis)) if table.redis else None,
    )


def to_backup_policy(table: BackupsTable) -> BackupPolicy:
    # never a copy target: `backups.s3` is refused (the host's backup target is an admin's)
    return BackupPolicy(every=table.every, keep=table.keep)


def to_aws(table: AwsTable) -> AwsSettings:
    fields = _all_fields(table)
    cloudfront = table.cloudfront
    fields["cloudfront"] = (
        CloudFront(tuple(cloudfront.static_paths), cloudfront.certificate_arn)
        if cloudfront
        else None
    )
    fields["secrets"] = tuple(table.secrets)
    return AwsSettings(**fields)


def to_service(name: str, table: ServiceTable) -> ServiceSpec:
    # `web` is routed unless it opts out, as with a Procfile (and on Heroku, Dokku, Copilot)
    port = table.port if table.port is not None else name == WEB
    if table.health is not None:
        health: HealthCheck | None = HealthCheck(**_all_fields(table.health))
    else:
        # A routed service always has a check, or the router would send traffic blind.
        health = HealthCheck() if port else None
    return ServiceSpec(
        name=name,
        command=table.command,
        port=port,
        health=health,
        scale=Scale(**_all_fields(table.scale)),
        resources=Resources(**_all_fields(table.resources)),
        rollout=Rollout(**_all_fields(table.rollout)),
        drain=table.drain,
        stop_timeout=table.stop_timeout,
        autoscale=to_autoscale(table.autoscale, table.scale),
        queue=table.queue,
    )


def to_autoscale(table: AutoscaleOverride | None, scale: ScaleTable) -> Autoscale | None:
    """`[autoscale]`, or its shorthand in `scale` (`min`, `max` and `cpu` or
    `requests_per_instance`); rules.py refuses a service that writes both."""
    if table is None:
        return _shorthand(scale)
    assert table.min is not None and table.max is not None and table.target is not None
    return Autoscale(
        min=table.min,
        max=table.max,
        targets=_targets(table.target),
        scale_out_cooldown=_given(table.scale_out_cooldown, Autoscale.scale_out_cooldown),
        scale_in_stabilization=_given(
            table.scale_in_stabilization, Autoscale.scale_in_stabilization
        ),
        max_step=table.max_step,
    )


def _shorthand(scale: ScaleTable) -> Autoscale | None:
    targets = tuple(
        Target(ScaleMetric(key), float(value))
        for key in ("cpu", "requests_per_instance")
        if (value := getattr(scale, key)) is not None
    )
    if not targets:
        return None
    low = scale.min if scale.min is not None else max(1, scale.count)
    high = scale.max if scale.max is not None else max(low, scale.count)
    return Autoscale(min=low, max=high, targets=targets)


def _targets(table: TargetTable) -> tuple[Target, ...]:
    return tuple(
        Target(ScaleMetric(name), float(value))
        for name in type(table).model_fields
        if (value := getattr(table, name)) is not None
    )


def _given(value: float | None, default: float) -> float:
    return default if value is None else value


def _autoscale_for(
    service: ServiceSpec, patch: AutoscaleOverride | None, scale: ScaleTable | None
) -> Autoscale | None:
    """A service's autoscaling in one environment: its own, with the environment's
    `autoscale.<service>` keys and `scale.<service>` bounds (`min`, `max`) over it."""
    own = service.autoscale
    given = _given_fields(patch) if patch is not None else {}
    if scale is not None:
        given = {**{k: v for k, v in _given_fields(scale).items() if k in ("min", "max")}, **given}
    if own is None:
        return to_autoscale(patch, scale or ScaleTable()) if patch is not None else None
    if "target" in given:
        given["targets"] = _targets(given.pop("target"))
    return replace(own, **{k: v for k, v in given.items() if v is not None})


def to_override(
    table: EnvironmentTable,
    services: Mapping[str, ServiceSpec],
    deploy: DeploySpec = DeploySpec(),
    jobs: Mapping[str, CronJob] | None = None,
) -> EnvOverride:
    """Partial per-service entries merged onto the service's own values, key by key."""
    return EnvOverride(
        scale={
            name: replace(services[name].scale, **_given_fields(patch))
            for name, patch in table.scale.items()
        },
        health={
            name: replace(services[name].health or HealthCheck(), **_given_fields(patch))
            for name, patch in table.health.items()
        },
        resources={
            name: replace(services[name].resources, **_given_fields(patch))
            for name, patch in table.resources.items()
        },
        config=dict(table.config),
        domains=tuple(table.domains),
        aws=AwsOverride(**_all_fields(table.aws)),
        addons=to_addons(table.addons),
        alerts=to_alerts(table.alerts),
        alerts_off=frozenset(alert.name for alert in table.alerts if not alert.enabled),
        deploy=to_deploy(table.deploy, deploy) if table.deploy is not None else None,
        cron={
            name: override_cron(jobs[name], patch)
            for name, patch in table.cron.items()
            if jobs and name in jobs
        },
        autoscale={
            name: _autoscale_for(services[name], table.autoscale.get(name), table.scale.get(name))
            for name in sorted(set(table.autoscale) | set(table.scale))
        },
    )


def _all_fields(model: BaseModel) -> dict[str, Any]:
    return {name: getattr(model, name) for name in type(model).model_fields}


def _given_fields(model: BaseModel) -> dict[str, Any]:
    # Only the keys written in the file: the defaults of a partial entry must not win.
    return {name: getattr(model, name) for name in model.model_fields_set}
