"""A canary's arithmetic, as data: how many new instances a step needs, the router weights that
give it its share, and the analysis' verdict on the two releases' figures so far.

- a step of p% runs `ceil(count * p / 100)` new instances (at least one) before it gets any
  traffic, so the canary never carries more than its instances can;
- weights split a service's requests p : 100 - p between the new instances and the old, evenly
  within each side (HAProxy weights are whole numbers up to 256);
- the canary fails as soon as it has answered `min_requests` and its error rate is more than
  `max_error_rate_increase` above the stable release's, or its p95 is more than
  `max_latency_increase` above the stable's and at least `LATENCY_FLOOR_MS` more (a 2 ms p95
  against a 1 ms one is noise, not a regression); it passes once the step's pause is over with
  `min_requests` answered; without them by `WAIT_FOR_REQUESTS` pauses it fails, as nothing
  can be said of it.
"""

from __future__ import annotations

import math

from launchdeck.domain.canary import Analysis, DeploySpec, Outcome, Side

LATENCY_FLOOR_MS = 20.0
WAIT_FOR_REQUESTS = 3  # pauses a step waits for `min_requests` before it fails
SCALE = 200  # the weights of one side add up to about this (HAProxy allows 256 per server)


def instances_for(count: int, percent: int) -> int:
    return max(1, math.ceil(count * percent / 100))


def weights(percent: int, new: int, old: int) -> tuple[int, int]:
    """Each new and each old instance's weight for `percent` of traffic to the new ones."""
    w_new = round(SCALE * percent / 100 / new) if new else 0
    w_old = round(SCALE * (100 - percent) / 100 / old) if old else 0
    return (max(w_new, 1) if percent else 0), (max(w_old, 1) if percent < 100 else 0)


def analyze(spec: DeploySpec, canary: Side, stable: Side, elapsed: float) -> Analysis:
    """The verdict `elapsed` seconds into a step."""
    if canary.requests < spec.min_requests:
        if elapsed >= spec.pause * WAIT_FOR_REQUESTS and elapsed > 0:
            reason = (
                f"the canary answered {canary.requests} requests in {elapsed:.0f}s; "
                f"at least {spec.min_requests} are needed to judge it"
            )
            return Analysis(Outcome.FAIL, reason, canary, stable)
        return Analysis(Outcome.WAIT, "waiting for requests", canary, stable)
    worse = _worse(spec, canary, stable)
    if worse:
        return Analysis(Outcome.FAIL, worse, canary, stable)
    if elapsed >= spec.pause:
        return Analysis(Outcome.PASS, describe(canary, stable), canary, stable)
    return Analysis(Outcome.WAIT, describe(canary, stable), canary, stable)


def _worse(spec: DeploySpec, canary: Side, stable: Side) -> str:
    c_err, s_err = canary.error_rate or 0.0, stable.error_rate or 0.0
    if c_err - s_err > spec.max_error_rate_increase:
        return (
            f"error rate {_pct(c_err)} on the canary against {_pct(s_err)} on the stable "
            f"release ({canary.requests} and {stable.requests} requests): more than "
            f"{_points(spec.max_error_rate_increase)} higher"
        )
    c_p95, s_p95 = canary.p95_ms, stable.p95_ms
    if c_p95 is not None and s_p95 is not None:
        limit = s_p95 * (1 + spec.max_latency_increase)
        if c_p95 > limit and c_p95 - s_p95 >= LATENCY_FLOOR_MS:
            return (
                f"p95 {c_p95:.0f} ms on the canary against {s_p95:.0f} ms on the stable "
                f"release: more than {_pct(spec.max_latency_increase)} higher"
            )
    return ""


def describe(canary: Side, stable: Side) -> str:
    return f"canary {_side(canary)}; stable {_side(stable)}"


def _side(side: Side) -> str:
    p95 = f"p95 {side.p95_ms:.0f} ms" if side.p95_ms is not None else "no p95"
    return f"{_pct(side.error_rate or 0.0)} errors, {p95}, {side.requests} requests"


def _points(fraction: float) -> str:
    points = fraction * 100
    return f"{points:g} point" + ("" if points == 1 else "s")


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"
