"""The autoscaler's decision on a manual clock: out at once, in only after the stabilization
window, cooldowns, steps, bounds, the host's room, and no flapping under a noisy steady load."""

import random

from launchdeck.domain.autoscale import Autoscale, DecisionKind, ScaleMetric, Target
from launchdeck.planning.autoscale import Memory, Verdict, decide, recommend

RPS = ScaleMetric.REQUESTS_PER_INSTANCE
POLICY = Autoscale(min=2, max=8, targets=(Target(RPS, 50.0),), scale_in_stabilization=60.0)


def run(
    policy: Autoscale, count: int, rps: float | None, memory: Memory, now: float, room=None
) -> Verdict:
    return decide("web", policy, count, {RPS: rps}, memory, now, room)


def test_each_target_recommends_count_times_figure_over_target_and_the_largest_wins():
    cpu = Target(ScaleMetric.CPU, 60.0)
    policy = Autoscale(min=1, max=20, targets=(Target(RPS, 50.0), cpu))
    assert recommend(policy, 2, {RPS: 100.0, ScaleMetric.CPU: 30.0}) == (4, RPS)
    assert recommend(policy, 2, {RPS: 25.0, ScaleMetric.CPU: 90.0}) == (3, ScaleMetric.CPU)
    assert recommend(policy, 4, {RPS: 54.0}) == (4, RPS)  # within 10%: no change
    assert recommend(policy, 4, {RPS: None, ScaleMetric.CPU: None}) == (None, None)


def test_out_at_once_with_the_figure_that_drove_it():
    verdict = run(POLICY, 2, 100.0, Memory(started_at=0.0), now=10.0)
    assert verdict.desired == 4
    decision = verdict.decision
    assert decision is not None and decision.kind == DecisionKind.SCALE_OUT
    assert (decision.current, decision.desired, decision.value) == (2, 4, 100.0)
    assert "requests_per_instance 100 req/s per instance with 2 running, target 50" in (
        decision.reason
    )


def test_a_second_scale_out_waits_for_the_cooldown():
    first = run(POLICY, 2, 100.0, Memory(started_at=0.0), now=10.0)
    held = run(POLICY, 4, 100.0, first.memory, now=20.0)
    assert held.desired == 4 and held.decision is None and held.wanted == 8
    after = run(POLICY, 4, 100.0, held.memory, now=25.0)
    assert after.desired == 8


def test_in_goes_to_the_largest_recommendation_of_the_window_and_only_after_it():
    memory = Memory(started_at=0.0)
    verdict = run(POLICY, 6, 52.0, memory, now=100.0)  # within 10% of the target: holds
    assert verdict.desired == 6
    memory = verdict.memory
    for now in (110.0, 120.0, 130.0):  # load fell: wants 2, but 6 was recommended at 100
        verdict = run(POLICY, 6, 10.0, memory, now)
        memory = verdict.memory
        assert verdict.desired == 6
    verdict = run(POLICY, 6, 10.0, memory, now=161.0)  # the 6 at 100 left the 60 s window
    assert verdict.desired == 2 and verdict.decision is not None
    assert verdict.decision.kind == DecisionKind.SCALE_IN


def test_no_scale_in_within_a_window_of_starting_to_watch():
    assert run(POLICY, 6, 1.0, Memory(started_at=100.0), now=150.0).desired == 6
    assert run(POLICY, 6, 1.0, Memory(started_at=100.0), now=160.0).desired == 2


def test_max_step_and_bounds():
    stepped = Autoscale(min=2, max=8, targets=(Target(RPS, 50.0),), max_step=1)
    assert run(stepped, 2, 500.0, Memory(started_at=0.0), now=1.0).desired == 3
    assert run(POLICY, 2, 5000.0, Memory(started_at=0.0), now=1.0).desired == 8
    assert run(POLICY, 9, None, Memory(started_at=0.0), now=1.0).desired == 8  # policy changed


def test_no_data_keeps_the_count():
    verdict = run(POLICY, 3, None, Memory(started_at=0.0), now=1000.0)
    assert verdict.desired == 3 and verdict.decision is None


def test_the_hosts_room_caps_a_scale_out_and_says_so():
    capped = run(POLICY, 2, 200.0, Memory(started_at=0.0), now=1.0, room=1)
    assert capped.desired == 3 and capped.decision is not None
    assert "capped at 3: the host's free memory has room for 1 more" in capped.decision.reason
    assert capped.capped == 5  # wanted 8
    full = run(POLICY, 2, 200.0, Memory(started_at=0.0), now=1.0, room=0)
    assert full.desired == 2 and full.decision is not None
    assert full.decision.kind == DecisionKind.CAPPED and full.decision.desired == 8
    assert full.capped == 6


def test_a_noisy_steady_load_does_not_flap():
    """Steady total load (about 200 req/s, +-15% noise) on a service that settles at 4 or 5
    instances: over four stabilization windows after settling, at most one change."""
    rng = random.Random(7)
    policy = Autoscale(min=1, max=10, targets=(Target(RPS, 50.0),), scale_in_stabilization=30.0)
    count, memory, changes = 1, Memory(started_at=0.0), []
    for tick in range(0, 600):
        now = tick * 2.0  # every 2 s, as the control plane evaluates
        total = 200.0 * rng.uniform(0.85, 1.15)
        verdict = decide("web", policy, count, {RPS: total / count}, memory, now)
        memory = verdict.memory
        if verdict.desired != count:
            changes.append((now, count, verdict.desired))
            count = verdict.desired
    settled = [c for c in changes if c[0] > 60.0]  # after a minute to settle
    in_window = [c for c in settled if c[0] <= 60.0 + 4 * 30.0]
    assert len(in_window) <= 1, changes
    assert len(settled) <= 2, changes
    assert count in (4, 5)


def test_a_worker_holds_its_backlog_per_instance():
    """queue_depth is messages waiting per running instance: 350 waiting for 1 worker at a
    target of 100 wants 4; an empty queue goes back to min once the window has passed."""
    depth = ScaleMetric.QUEUE_DEPTH
    policy = Autoscale(min=1, max=5, targets=(Target(depth, 100.0),), scale_in_stabilization=30.0)
    out = decide("worker", policy, 1, {depth: 350.0}, Memory(started_at=0.0), now=1.0)
    assert out.desired == 4 and out.decision is not None
    assert "queue_depth 350 messages per instance with 1 running, target 100 messages" in (
        out.decision.reason
    )
    drained = decide("worker", policy, 4, {depth: 0.0}, out.memory, now=40.0)
    assert drained.desired == 1 and drained.decision is not None
    assert drained.decision.kind == DecisionKind.SCALE_IN
    capped = decide("worker", policy, 4, {depth: 10_000 / 4}, out.memory, now=40.0)
    assert capped.desired == 5  # never past max
