"""Frozen dataclasses and enums: the nouns of launchdeck (App, Release, Deployment, Instance...).

Owns: the shapes every layer agrees on, and pure helpers on them.
Must not import: anything else of launchdeck, and no I/O of any kind.
"""

from launchdeck.domain.models import (
    NAME_RE,
    Amount,
    BuildRef,
    BuildSpec,
    Deployment,
    DeploymentKind,
    DeploymentState,
    EnvOverride,
    Event,
    HealthCheck,
    Instance,
    InstanceState,
    Manifest,
    Release,
    ReleaseSpec,
    Resources,
    Rollout,
    Scale,
    ServiceSpec,
)

__all__ = [
    "NAME_RE",
    "Amount",
    "BuildRef",
    "BuildSpec",
    "Deployment",
    "DeploymentKind",
    "DeploymentState",
    "EnvOverride",
    "Event",
    "HealthCheck",
    "Instance",
    "InstanceState",
    "Manifest",
    "Release",
    "ReleaseSpec",
    "Resources",
    "Rollout",
    "Scale",
    "ServiceSpec",
]
