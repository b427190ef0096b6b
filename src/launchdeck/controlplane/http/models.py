"""What the API answers, as declared shapes: routes name these as their response models, so the
API's own docs (LAUNCHDECK_API_DOCS=1) show real fields, and an answer that drifts from its
shape fails in the tests rather than in a client."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from launchdeck.domain import Health


class Shape(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Deployment(Shape):
    id: int
    app: str
    env: str
    kind: str
    state: str
    finished: bool
    from_release: int | None
    to_release: int | None
    reason: str
    created_at: float
    finished_at: float | None
    canary: bool = False


class Instance(Shape):
    id: str
    service: str
    release: str
    state: str
    health: Health
    port: int | None
    pid: int | None
    started_at: float | None
    restarts: int


class Queue(Shape):
    service: str
    queue: str
    depth: int | None


class EnvSummary(Shape):
    release: str | None
    build: str | None
    instances: int
    healthy: int
    last_deployment: str | None
    url: str


class App(Shape):
    name: str
    envs: dict[str, EnvSummary]


class CreatedApp(Shape):
    name: str
    envs: list[str]


class DestroyedApp(Shape):
    name: str
    destroyed: bool
    instances_stopped: int


class EnvStatus(Shape):
    app: str
    env: str
    url: str
    release: str | None
    build: str | None
    formation: dict[str, int]
    instances: list[Instance]
    last_deployment: Deployment | None
    router: str
    resource_limits: str
    isolation: str


class Release(Shape):
    version: int
    name: str
    build: str
    git_sha: str | None
    description: str
    created_at: float
    config_keys: list[str]
    current: bool


class RouterState(Shape):
    running: bool
    pid: int | None


class ServerStatus(Shape):
    home: str
    api_url: str
    http_port: int
    router: RouterState
    apps: int
    instances: int
    resource_limits: str
    isolation: str


class Token(Shape):
    id: str
    name: str
    role: str
    created_at: float
    revoked_at: float | None = None


class NewToken(Token):
    token: str  # shown once


class RevokedToken(Shape):
    id: str
    revoked: bool


class OwnerRotated(Shape):
    token: str  # shown once
    role: str
    credentials: str | None  # where api.json was rewritten


class AuditEntry(Shape):
    seq: int
    at: float
    who: str
    role: str
    action: str
    status: int


class Config(Shape):
    config: dict[str, str]  # secrets masked unless revealed
    secrets: list[str]


class ConfigChanged(Shape):
    config: dict[str, str]
    deployment: Deployment | None


class GitRepository(Shape):
    app: str
    url: str


class PromotionSide(Shape):
    release: str | None
    build: str | None


class ConfigDiff(Shape):
    added: list[str]
    removed: list[str]
    changed: list[str]


class ScaleChange(Shape):
    current: int | None
    new: int


class Promotion(Shape):
    app: str
    source_env: str = Field(alias="from")
    target_env: str = Field(alias="to")
    source: PromotionSide
    target: PromotionSide
    config: ConfigDiff
    scale: dict[str, ScaleChange]
    release_command: str | None


class PlanPreview(Shape):
    """A dry run: the steps the executor would take, in order; nothing was recorded."""

    release: str  # the release the plan rolls out (for a deploy: the one it would make)
    steps: list[str]


class Domain(Shape):
    domain: str
    source: str  # "manifest" | "cli"


class Addon(Shape):
    kind: str
    version: str
    var: str
    name: str
    running: bool


class AddonsChanged(Shape):
    addons: list[Addon]
    deployment: Deployment | None


class Restored(Shape):
    """A restore or a pull: what the database driver says, and the rolling restart it made."""

    model_config = ConfigDict(extra="allow")
    deployment: Deployment | None


Listing = dict[str, Any]  # db backups: columns vary with the add-on (see the CLI's table)


class AutoscaleTarget(Shape):
    metric: str
    target: float
    value: float | None  # the figure at the last evaluation; None without data


class AutoscaledService(Shape):
    service: str
    min: int
    max: int
    targets: list[AutoscaleTarget]
    scale_out_cooldown: float
    scale_in_stabilization: float
    max_step: int | None
    desired: int  # the count the environment runs
    running: int | None  # running instances at the last evaluation
    wanted: int | None  # what the figures asked for at the last evaluation
    capped: int  # instances wanted that the host's free memory does not allow
    paused: bool  # a manual `scale` holds the count until `autoscale resume`


class AutoscaleDecision(Shape):
    service: str
    at: float
    kind: str
    current: int
    desired: int
    value: float | None
    reason: str


class AutoscaleStatus(Shape):
    services: list[AutoscaledService]
    decisions: list[AutoscaleDecision]  # newest first


class AutoscaleResumed(Shape):
    resumed: list[str]


class CanarySide(Shape):
    requests: int
    error_rate: float | None
    p95_ms: float | None


class CanaryStep(Shape):
    deployment: int
    release: str
    stable: str
    step: int
    steps: list[int]
    percent: int
    elapsed: float
    pause: float
    canary: CanarySide
    serving: CanarySide
    verdict: str
    reason: str


class CanaryStatus(Shape):
    running: bool
    status: CanaryStep | None  # None while its instances start, or when none runs
