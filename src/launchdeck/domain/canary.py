"""Canary releases: `[deploy] strategy = "canary"`, and what a canary deployment measures.

A canary moves the routed services' traffic to the new release in `steps` (percentages, the last
100), holding each for `pause` while an analysis compares the new release (the canary) with the
one serving (the stable): the canary's error rate may be at most `max_error_rate_increase`
higher (a fraction: 0.01 is one point), its p95 at most `max_latency_increase` higher (0.2 is
20%), and a step passes only with `min_requests` answered by the canary. AWS CodeDeploy's preset
names are shorthands for steps and pause.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DEFAULT_STEPS = (10, 50, 100)
DEFAULT_PAUSE = 60.0
DEFAULT_MAX_ERROR_RATE_INCREASE = 0.01
DEFAULT_MAX_LATENCY_INCREASE = 0.2
DEFAULT_MIN_REQUESTS = 50


class Strategy(enum.StrEnum):
    ROLLING = "rolling"
    CANARY = "canary"


def _linear(step: int) -> tuple[int, ...]:
    return tuple(range(step, 101, step))


# CodeDeploy's ECS configurations: name -> (steps, pause in seconds)
PRESETS: dict[str, tuple[tuple[int, ...], float]] = {
    "ECSCanary10Percent5Minutes": ((10, 100), 300.0),
    "ECSCanary10Percent15Minutes": ((10, 100), 900.0),
    "ECSLinear10PercentEvery1Minutes": (_linear(10), 60.0),
    "ECSLinear10PercentEvery3Minutes": (_linear(10), 180.0),
}


@dataclass(frozen=True)
class DeploySpec:
    strategy: Strategy = Strategy.ROLLING
    steps: tuple[int, ...] = DEFAULT_STEPS
    pause: float = DEFAULT_PAUSE
    max_error_rate_increase: float = DEFAULT_MAX_ERROR_RATE_INCREASE
    max_latency_increase: float = DEFAULT_MAX_LATENCY_INCREASE
    min_requests: int = DEFAULT_MIN_REQUESTS
    services: tuple[str, ...] | None = None  # the routed services the canary covers; None: all

    @property
    def canary(self) -> bool:
        return self.strategy == Strategy.CANARY


@dataclass(frozen=True)
class Side:
    """One release's requests over a step so far."""

    requests: int
    errors: int  # 5xx
    p95_ms: float | None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


class Outcome(enum.StrEnum):
    WAIT = "wait"  # not enough requests yet, or the pause is not over
    PASS = "pass"
    FAIL = "fail"


@dataclass(frozen=True)
class Analysis:
    outcome: Outcome
    reason: str
    canary: Side
    stable: Side
