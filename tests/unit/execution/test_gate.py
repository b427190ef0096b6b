import pytest

from launchdeck.domain import HealthCheck, Instance, InstanceState
from launchdeck.execution import GateFailed, HealthGate
from tests.clock import ManualClock
from tests.unit.execution.fakes import InMemoryRuntime

CHECK = HealthCheck(path="/health", interval=1.0, timeout=1.0, healthy=2, unhealthy=3, grace=10.0)


def started(runtime, id_="web.v1-a", port=30001):
    inst = Instance(
        id=id_, app="a", env="e", service="web", release=1, state=InstanceState.STARTING, port=port
    )
    return runtime.start(inst, None, None)  # type: ignore[arg-type]


@pytest.fixture
def clock():
    return ManualClock(min_sleep=0.001)


@pytest.fixture
def runtime(clock):
    return InMemoryRuntime(clock)


def test_passes_after_healthy_consecutive_successes_polling_fast_until_the_first(clock, runtime):
    inst = started(runtime)
    t0 = clock.monotonic()
    HealthGate(runtime, clock=clock).wait([inst], CHECK)
    # first success at ~0.3s (fast polling), second one interval later
    assert 1.2 <= clock.monotonic() - t0 <= 1.5


def test_an_instance_that_exits_fails_at_once_with_its_exit_code(clock, runtime):
    inst = started(runtime)
    runtime.dies.add(inst.id)
    with pytest.raises(GateFailed) as failed:
        HealthGate(runtime, clock=clock).wait([inst], CHECK)
    assert failed.value.reason == (
        "instance web.v1-a exited with code 3 before passing its health check"
    )
    assert clock.monotonic() - 1000.0 < 0.5


def test_never_healthy_fails_after_the_grace_period(clock, runtime):
    inst = started(runtime)
    runtime.health[inst.id] = lambda elapsed: False
    with pytest.raises(GateFailed) as failed:
        HealthGate(runtime, clock=clock).wait([inst], CHECK)
    assert failed.value.reason == (
        "instance web.v1-a did not pass its health check (GET /health) within the 10s grace period"
    )
    assert 10.0 <= clock.monotonic() - 1000.0 <= 10.5


def test_flapping_after_first_success_fails_after_unhealthy_in_a_row(clock, runtime):
    inst = started(runtime)
    runtime.health[inst.id] = lambda elapsed: elapsed < 0.5
    with pytest.raises(GateFailed) as failed:
        HealthGate(runtime, clock=clock).wait([inst], CHECK)
    assert failed.value.reason == "instance web.v1-a failed 3 health checks in a row"


def test_workers_pass_once_they_stay_up(clock, runtime):
    inst = started(runtime, port=None)
    HealthGate(runtime, clock=clock).wait([inst], None)
    assert clock.monotonic() - 1000.0 >= 1.0


def test_all_instances_of_a_batch_are_checked_together(clock, runtime):
    a, b = started(runtime, "a"), started(runtime, "b")
    HealthGate(runtime, clock=clock).wait([a, b], CHECK)
    assert clock.monotonic() - 1000.0 < 2.0
