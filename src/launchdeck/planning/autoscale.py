"""The autoscaler's decision, as data: a service's policy, its count, its figures now and what
earlier evaluations left (`Memory`) -> the count to run, and why.

The rules (Kubernetes' HPA, with ECS target tracking's cooldown):
- each target recommends `ceil(count * figure / target)`; a figure within 10% of its target
  recommends the count as it is; with several targets the largest recommendation wins; a
  target without data (no requests, no samples yet) recommends nothing;
- out: at once, unless the last scale-out was less than `scale_out_cooldown` ago;
- in: to the largest count recommended over the last `scale_in_stabilization` (so a dip does not
  remove instances the next peak needs), never within that window of the autoscaler's start;
- each change is at most `max_step` instances, and always within `min` and `max`;
- out never goes past `room` more instances (the host's free memory); wanting more is `CAPPED`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from launchdeck.domain.autoscale import TOLERANCE, Autoscale, Decision, DecisionKind, ScaleMetric


@dataclass(frozen=True)
class Memory:
    """What the autoscaler keeps of one service between evaluations."""

    started_at: float  # when the autoscaler began watching: no scale-in for a window after
    recommended: tuple[tuple[float, int], ...] = ()  # (at, count), within the stabilization
    last_out: float | None = None


@dataclass(frozen=True)
class Verdict:
    desired: int
    memory: Memory
    decision: Decision | None  # None: the count stays, and nothing worth recording happened
    wanted: int  # what the figures asked for, before the cooldown, step and memory limits
    capped: int = 0  # instances wanted beyond what the host's room allows


def recommend(
    policy: Autoscale, count: int, figures: Mapping[ScaleMetric, float | None]
) -> tuple[int | None, ScaleMetric | None]:
    """The largest count the targets recommend, and the metric that recommends it; (None,
    None) when no target has data."""
    best: tuple[int | None, ScaleMetric | None] = (None, None)
    for target in policy.targets:
        value = figures.get(target.metric)
        if value is None:
            continue
        ratio = value / target.value
        wanted = count if abs(ratio - 1) <= TOLERANCE else math.ceil(max(count, 1) * ratio)
        if best[0] is None or wanted > best[0]:
            best = (wanted, target.metric)
    return best


def decide(
    service: str,
    policy: Autoscale,
    count: int,
    figures: Mapping[ScaleMetric, float | None],
    memory: Memory,
    now: float,
    room: int | None = None,
) -> Verdict:
    """`room`: how many more instances the host can take (None: no limit known)."""
    raw, metric = recommend(policy, count, figures)
    if count != policy.clamp(count):  # the policy changed under the count (a new release)
        desired = policy.clamp(count)
        reason = f"kept within min {policy.min} and max {policy.max}"
        return _verdict(service, count, desired, None, memory, now, reason, desired)
    if raw is None:
        return Verdict(count, memory, None, count)
    wanted = policy.clamp(raw)
    window = policy.scale_in_stabilization
    kept = tuple((at, n) for at, n in memory.recommended if at > now - window)
    memory = replace(memory, recommended=(*kept, (now, wanted)))
    value = figures.get(metric) if metric is not None else None
    why = _why(policy, metric, value, count)
    if wanted > count:
        return _out(service, policy, count, wanted, value, memory, now, room, why)
    if wanted < count and now - memory.started_at >= window:
        desired = _stepped(policy, count, max(n for _, n in memory.recommended))
        if desired < count:
            return _verdict(service, count, desired, value, memory, now, why, wanted)
    return Verdict(count, memory, None, wanted)


def _out(
    service: str,
    policy: Autoscale,
    count: int,
    wanted: int,
    value: float | None,
    memory: Memory,
    now: float,
    room: int | None,
    why: str,
) -> Verdict:
    capped = max(0, wanted - count - room) if room is not None else 0
    if memory.last_out is not None and now - memory.last_out < policy.scale_out_cooldown:
        return Verdict(count, memory, None, wanted, capped)
    desired = _stepped(policy, count, wanted)
    if room is not None and desired - count > room:
        desired = count + max(room, 0)
        if desired == count:
            reason = f"{why}; the host's free memory has room for no more instances"
            decision = Decision(service, DecisionKind.CAPPED, now, count, wanted, value, reason)
            return Verdict(count, memory, decision, wanted, capped)
        why += f"; capped at {desired}: the host's free memory has room for {room} more"
    memory = replace(memory, last_out=now)
    verdict = _verdict(service, count, desired, value, memory, now, why, wanted)
    return replace(verdict, capped=capped)


def _stepped(policy: Autoscale, count: int, wanted: int) -> int:
    step = policy.max_step
    if step is not None:
        wanted = max(count - step, min(count + step, wanted))
    return policy.clamp(wanted)


def _verdict(
    service: str,
    count: int,
    desired: int,
    value: float | None,
    memory: Memory,
    now: float,
    reason: str,
    wanted: int,
) -> Verdict:
    kind = DecisionKind.SCALE_OUT if desired > count else DecisionKind.SCALE_IN
    return Verdict(
        desired, memory, Decision(service, kind, now, count, desired, value, reason), wanted
    )


def _why(policy: Autoscale, metric: ScaleMetric | None, value: float | None, count: int) -> str:
    if metric is None or value is None:
        return "no data"
    target = policy.target(metric)
    per = " per instance" if metric != ScaleMetric.P95_MS else ""
    return (
        f"{metric.value} {value:.3g}{metric.unit}{per} with {count} running, "
        f"target {target:g}{metric.unit}"
    )
