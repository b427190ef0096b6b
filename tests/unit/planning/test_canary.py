"""A canary's arithmetic: its capacity first, its share by weights, the analysis' verdicts."""

from launchdeck.domain.canary import DeploySpec, Outcome, Side, Strategy
from launchdeck.planning.canary import analyze, instances_for, weights

SPEC = DeploySpec(Strategy.CANARY, (10, 50, 100), pause=60.0, min_requests=50)
GOOD = Side(requests=1000, errors=2, p95_ms=12.0)


def share(percent: int, new: int, old: int) -> float:
    w_new, w_old = weights(percent, new, old)
    return new * w_new / (new * w_new + old * w_old)


def test_the_new_release_is_scaled_to_carry_its_share_first():
    assert [instances_for(4, p) for p in (10, 50, 100)] == [1, 2, 4]
    assert instances_for(1, 10) == 1


def test_weights_give_each_side_its_share():
    assert abs(share(10, 1, 2) - 0.10) < 0.01
    assert abs(share(50, 2, 4) - 0.50) < 0.01
    assert abs(share(25, 1, 3) - 0.25) < 0.01
    assert weights(100, 2, 2) == (100, 0)


def test_a_canary_with_a_fifth_of_requests_failing_fails_as_soon_as_it_has_enough():
    bad = Side(requests=50, errors=10, p95_ms=12.0)
    verdict = analyze(SPEC, bad, GOOD, elapsed=3.0)
    assert verdict.outcome == Outcome.FAIL
    assert verdict.reason == (
        "error rate 20.0% on the canary against 0.2% on the stable release (50 and 1000 "
        "requests): more than 1 point higher"
    )


def test_a_slower_canary_fails_but_a_few_ms_of_noise_does_not():
    slow = Side(requests=60, errors=0, p95_ms=312.0)
    assert analyze(SPEC, slow, GOOD, elapsed=5.0).outcome == Outcome.FAIL
    assert "p95 312 ms on the canary against 12 ms" in analyze(SPEC, slow, GOOD, 5.0).reason
    noisy = Side(requests=60, errors=0, p95_ms=3.0)
    fast = Side(requests=1000, errors=0, p95_ms=1.5)
    assert analyze(SPEC, noisy, fast, elapsed=5.0).outcome == Outcome.WAIT


def test_a_good_canary_passes_when_the_pause_is_over():
    canary = Side(requests=120, errors=0, p95_ms=13.0)
    assert analyze(SPEC, canary, GOOD, elapsed=30.0).outcome == Outcome.WAIT
    passed = analyze(SPEC, canary, GOOD, elapsed=60.0)
    assert passed.outcome == Outcome.PASS and "canary 0.0% errors, p95 13 ms" in passed.reason


def test_too_few_requests_wait_then_fail():
    few = Side(requests=10, errors=0, p95_ms=5.0)
    assert analyze(SPEC, few, GOOD, elapsed=60.0).outcome == Outcome.WAIT
    failed = analyze(SPEC, few, GOOD, elapsed=180.0)
    assert failed.outcome == Outcome.FAIL and "at least 50 are needed to judge it" in failed.reason
