"""Autoscaling: a service's policy (`[services.<name>.autoscale]`) and the decisions made on it.

A policy tracks one figure to a target per instance, as ECS target tracking and Kubernetes' HPA
do: the desired count is the current count times figure / target, within `min` and `max`. Out
goes at once (then waits `scale_out_cooldown`); in goes only to the largest count recommended
over the last `scale_in_stabilization`, so a dip does not remove instances a peak needs again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DEFAULT_SCALE_OUT_COOLDOWN = 15.0
DEFAULT_SCALE_IN_STABILIZATION = 300.0
TOLERANCE = 0.1  # no change while figure / target is within 10% of 1 (as the HPA)


class ScaleMetric(enum.StrEnum):
    CPU = "cpu"  # percent of `resources.cpu` (of one core without it), averaged over instances
    REQUESTS_PER_INSTANCE = "requests_per_instance"  # requests per second per instance
    P95_MS = "p95_ms"  # 95th percentile response time of the service, in milliseconds
    QUEUE_DEPTH = "queue_depth"  # messages waiting in the service's queue, per instance

    @property
    def unit(self) -> str:
        units = {"cpu": "%", "requests_per_instance": " req/s", "p95_ms": " ms"}
        return units.get(self.value, " messages")

    @property
    def routed_only(self) -> bool:
        """Figures the router measures: a service without a port has none."""
        return self in (ScaleMetric.REQUESTS_PER_INSTANCE, ScaleMetric.P95_MS)


@dataclass(frozen=True)
class Target:
    metric: ScaleMetric
    value: float  # in the metric's unit: cpu in percent (60.0), requests/s, milliseconds

    def __str__(self) -> str:
        return f"{self.metric.value} {self.value:g}{self.metric.unit}"


@dataclass(frozen=True)
class Autoscale:
    """With several targets, each recommends a count and the largest wins (as the HPA; on ECS,
    one target-tracking policy each)."""

    min: int
    max: int
    targets: tuple[Target, ...]
    scale_out_cooldown: float = DEFAULT_SCALE_OUT_COOLDOWN
    scale_in_stabilization: float = DEFAULT_SCALE_IN_STABILIZATION
    max_step: int | None = None  # most instances added or removed by one decision

    def clamp(self, count: int) -> int:
        return max(self.min, min(self.max, count))

    def target(self, metric: ScaleMetric) -> float | None:
        return next((t.value for t in self.targets if t.metric == metric), None)

    def describe(self) -> str:
        return ", ".join(str(t) for t in self.targets)


class DecisionKind(enum.StrEnum):
    SCALE_OUT = "scale_out"
    SCALE_IN = "scale_in"
    CAPPED = "capped"  # wanted more instances than the host's free memory allows


@dataclass(frozen=True)
class Decision:
    """One change the autoscaler made (or could not make), with the figure that drove it."""

    service: str
    kind: DecisionKind
    at: float
    current: int
    desired: int
    value: float | None  # the figure, in the metric's unit; None without data
    reason: str
