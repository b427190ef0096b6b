"""The nouns. Durations are seconds (float), sizes are bytes (int)."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,29}$")


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
class EnvOverride:
    scale: Mapping[str, Scale] = field(default_factory=dict)
    health: Mapping[str, HealthCheck] = field(default_factory=dict)
    resources: Mapping[str, Resources] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    app: str | None
    services: Mapping[str, ServiceSpec]
    build: BuildSpec = BuildSpec()
    release: ReleaseSpec | None = None
    environments: Mapping[str, EnvOverride] = field(default_factory=dict)

    def for_env(self, env: str) -> Manifest:
        """This manifest with `[environments.<env>]` applied to its services."""
        override = self.environments.get(env)
        if override is None:
            return self
        services = {
            name: replace(
                spec,
                scale=override.scale.get(name, spec.scale),
                health=override.health.get(name, spec.health),
                resources=override.resources.get(name, spec.resources),
            )
            for name, spec in self.services.items()
        }
        return replace(self, services=services)


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

    @property
    def name(self) -> str:
        return f"v{self.version}"


class DeploymentKind(enum.StrEnum):
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    CONFIG = "config"
    RESTART = "restart"
    SCALE = "scale"


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


@dataclass(frozen=True)
class Event:
    deployment_id: int
    seq: int
    at: float
    kind: str  # started, build, built, released, instance_started, instance_healthy, ...
    message: str


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
    health: str = "unknown"  # unknown | healthy | unhealthy | none (no port)

    @property
    def live(self) -> bool:
        return self.state in (InstanceState.STARTING, InstanceState.RUNNING, InstanceState.DRAINING)
