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
from launchdeck.manifest.alerts.schema import AlertTable
from launchdeck.manifest.schema import EnvironmentTable, ManifestFile, ServiceTable
from launchdeck.manifest.schema_aws import AddonsTable, AwsTable, BackupsTable


def to_manifest(file: ManifestFile, procfile: Mapping[str, ServiceSpec] | None = None) -> Manifest:
    """The domain Manifest for `file`; `procfile` services stand in when it defines none."""
    if file.services or procfile is None:
        services = {name: to_service(name, table) for name, table in file.services.items()}
    else:
        services = dict(procfile)
    return Manifest(
        app=file.app,
        services=services,
        build=BuildSpec(**_all_fields(file.build)),
        release=ReleaseSpec(**_all_fields(file.release)) if file.release else None,
        test=TestSpec(**_all_fields(file.test)) if file.test else None,
        git=GitSpec(branches=dict(file.git.branches)),
        notify=NotifySpec(tuple(file.notify.webhooks), tuple(file.notify.on)),
        environments={
            name: to_override(table, services) for name, table in file.environments.items()
        },
        addons=to_addons(file.addons),
        aws=to_aws(file.aws),
        alerts=to_alerts(file.alerts),
        alerts_off=frozenset(alert.name for alert in file.alerts if not alert.enabled),
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
    if table.health is not None:
        health: HealthCheck | None = HealthCheck(**_all_fields(table.health))
    else:
        # A routed service always has a check, or the router would send traffic blind.
        health = HealthCheck() if table.port else None
    return ServiceSpec(
        name=name,
        command=table.command,
        port=table.port,
        health=health,
        scale=Scale(**_all_fields(table.scale)),
        resources=Resources(**_all_fields(table.resources)),
        rollout=Rollout(**_all_fields(table.rollout)),
        drain=table.drain,
        stop_timeout=table.stop_timeout,
    )


def to_override(table: EnvironmentTable, services: Mapping[str, ServiceSpec]) -> EnvOverride:
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
    )


def _all_fields(model: BaseModel) -> dict[str, Any]:
    return {name: getattr(model, name) for name in type(model).model_fields}


def _given_fields(model: BaseModel) -> dict[str, Any]:
    # Only the keys written in the file: the defaults of a partial entry must not win.
    return {name: getattr(model, name) for name in model.model_fields_set}
