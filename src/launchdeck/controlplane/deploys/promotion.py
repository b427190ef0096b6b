"""Promote: deploy to one environment the exact build another one runs, with the target's config,
scale and manifest overrides. Nothing is rebuilt.

`plan_promotion` makes every check before anything is queued (the API answers 409 at once) and
the preview shows what would change; `Deployments.promote` queues the rollout. Config values never
leave this module: the preview names keys only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from launchdeck.build import Artifact, BuildError
from launchdeck.controlplane.errors import Conflict, Invalid
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import (
    Deployment,
    DeploymentState,
    Instance,
    InstanceState,
    Manifest,
    Release,
    ServiceSpec,
)
from launchdeck.manifest import ManifestError, load_manifest


@dataclass(frozen=True)
class ConfigDiff:
    """Config key names (never values) the build sees differently in the target than in the
    source: added (only in the target), removed (only in the source), changed (both, differ)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    @classmethod
    def between(cls, source: Mapping[str, str], target: Mapping[str, str]) -> ConfigDiff:
        return cls(
            added=tuple(sorted(set(target) - set(source))),
            removed=tuple(sorted(set(source) - set(target))),
            changed=tuple(sorted(k for k in set(source) & set(target) if source[k] != target[k])),
        )


@dataclass(frozen=True)
class Promotion:
    source: EnvState
    target: EnvState
    release: Release  # what the source runs
    manifest: Manifest  # the build's manifest with the target's overrides applied
    current: Release | None  # what the target runs now

    def new_release(
        self, version: int, config: Mapping[str, str], secrets: frozenset[str], now: float
    ) -> Release:
        """The target's release: the source's build, the target's config and services."""
        defaults, domains = self.manifest.defaults_for(self.target.name)
        return Release(
            app=self.target.app,
            env=self.target.name,
            version=version,
            build=self.release.build,
            config=dict(config),
            secrets=secrets,
            services=dict(self.manifest.services),
            created_at=now,
            description=(
                f"Promote {self.source.name} {self.release.name} ({self.release.build.digest[:19]})"
            ),
            release_command=self.manifest.release,
            notify=self.manifest.notify,
            defaults=defaults,
            domains=domains,
            alerts=self.manifest.alerts,
            alerts_off=self.manifest.alerts_off,
            deploy=self.manifest.deploy,
            triage=self.manifest.triage,
            cron=dict(self.manifest.cron),
        )


def scale_of(env: EnvState, services: Mapping[str, ServiceSpec]) -> dict[str, int]:
    """Instance counts: the environment's formation (`scale`, the autoscaler) over the
    manifest's count; an autoscaled service's within its `min` and `max`, unless a manual
    `scale` paused its autoscaling."""
    counts = {}
    for name, spec in services.items():
        count = env.formation.get(name, spec.scale.count)
        if spec.autoscale is not None and name not in env.manual:
            count = spec.autoscale.clamp(count)
        counts[name] = count
    return counts


def plan_promotion(
    store: Store, get_build: Callable[[str], Artifact], source: EnvState, target: EnvState
) -> Promotion:
    if source.name == target.name:
        raise Invalid(
            f"promote --from and --to are both {source.name!r}: name two environments",
            "e.g. launchdeck promote --from staging --to production",
        )
    release = source_release(store, source)
    current = store.release(target.app, target.name, target.release) if target.release else None
    manifest = _manifest_of(get_build, release).for_env(target.name)
    return Promotion(source, target, release, manifest, current)


def source_release(store: Store, source: EnvState) -> Release:
    """The release `source` runs, refused unless it is settled: deployed, done, all healthy."""
    where = f"{source.app}/{source.name}"
    release = store.release(source.app, source.name, source.release) if source.release else None
    if release is None:
        raise Conflict(
            f"{where} has no release to promote",
            f"deploy {source.name} first: launchdeck deploy --app {source.app} --env {source.name}",
        )
    last = store.deployments(source.app, source.name, 1)
    if last:
        _check_settled(where, source, last[0])
    for inst in store.instances(source.app, source.name):
        _check_instance(where, source, inst)
    return release


def _check_settled(where: str, source: EnvState, dep: Deployment) -> None:
    if not dep.state.finished:
        raise Conflict(
            f"{where} is mid-rollout ({dep.kind.value} #{dep.id} is {dep.state.value})",
            f"wait for it to finish (launchdeck status --app {source.app} --env {source.name}), "
            "then promote again",
        )
    if dep.state != DeploymentState.SUCCEEDED:
        raise Conflict(
            f"the last deployment of {where} did not succeed "
            f"({dep.kind.value} #{dep.id} {dep.state.value.replace('_', ' ')})",
            f"deploy a working build to {source.name} (or launchdeck rollback --app {source.app} "
            f"--env {source.name}), then promote",
        )


def _check_instance(where: str, source: EnvState, inst: Instance) -> None:
    if inst.state != InstanceState.RUNNING or not inst.health.ok:
        raise Conflict(
            f"{where} instance {inst.id} is {inst.state.value} (health: {inst.health}), "
            "not running and healthy",
            f"wait for it to recover (launchdeck ps --app {source.app} --env {source.name}), "
            "then promote again",
        )


def _manifest_of(get_build: Callable[[str], Artifact], release: Release) -> Manifest:
    """The manifest inside the build: the target's overrides apply to it, not to the source's
    resolved services."""
    try:
        return load_manifest(get_build(release.build.digest).app_dir)
    except (BuildError, ManifestError) as exc:
        raise Conflict(
            f"cannot promote {release.env} {release.name}: {exc}",
            f"deploy {release.env} again, then promote",
        ) from None


def promotion_json(p: Promotion) -> dict[str, Any]:
    """The preview: releases and digests, config key names that differ, scale per service."""
    new = scale_of(p.target, p.manifest.services)
    now = scale_of(p.target, p.current.services) if p.current else {}
    target_defaults, _ = p.manifest.defaults_for(p.target.name)
    diff = ConfigDiff.between(p.release.environ(), {**target_defaults, **p.target.config})
    return {
        "app": p.target.app,
        "from": p.source.name,
        "to": p.target.name,
        "source": {"release": p.release.name, "build": p.release.build.digest},
        "target": {
            "release": p.current.name if p.current else None,
            "build": p.current.build.digest if p.current else None,
        },
        "config": {"added": diff.added, "removed": diff.removed, "changed": diff.changed},
        "scale": {
            name: {"current": now.get(name), "new": new.get(name, 0)}
            for name in sorted(set(new) | set(now))
        },
        "release_command": p.manifest.release.command if p.manifest.release else None,
    }
