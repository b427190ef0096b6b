import threading

import pytest

from launchdeck.domain import (
    BuildRef,
    EventKind,
    Health,
    HealthCheck,
    Instance,
    InstanceState,
    Release,
    ServiceSpec,
)
from launchdeck.execution import Executor, RolloutFailed
from launchdeck.planning import Desired, plan_rollout
from tests.clock import ManualClock
from tests.unit.execution.fakes import InMemoryRuntime, RecordingLedger

WEB = ServiceSpec(
    name="web",
    command="x",
    port=True,
    drain=1.0,
    health=HealthCheck(path="/health", interval=0.5, healthy=2, grace=5.0),
)


def release(version):
    return Release(
        app="a",
        env="e",
        version=version,
        build=BuildRef("sha256:x", "python", 0.0),
        config={},
        services={"web": WEB, "worker": WORKER},
        created_at=0.0,
    )


def running(id_, version, service="web"):
    return Instance(
        id=id_,
        app="a",
        env="e",
        service=service,
        release=version,
        state=InstanceState.RUNNING,
        port=29000,
        pid=1,
        started_at=1.0,
    )


WORKER = ServiceSpec(name="worker", command="y")


def run(runtime, ledger, clock, old, version=2, services=None):
    services = services or {"web": WEB}
    desired = Desired(version, services, {name: 2 for name in services})
    n = iter(range(1, 100))
    plan = plan_rollout(desired, old, lambda s: f"new{next(n)}")
    executor = Executor(
        runtime,
        ledger,
        app="a",
        env="e",
        releases=release,
        instances={i.id: i for i in old},
        clock=clock,
    )
    executor.run(plan)


@pytest.fixture
def clock():
    return ManualClock(min_sleep=0.001)


def test_rollout_routes_new_before_draining_old(clock):
    runtime, ledger = InMemoryRuntime(clock), RecordingLedger()
    old = [running("old1", 1), running("old2", 1)]
    for i in old:
        ledger.save_instance(i)
    run(runtime, ledger, clock, old)
    assert runtime.log == [
        "start new1",
        "start new2",
        "route new1",
        "route new2",
        "drain old1",
        "drain old2",
        "unroute old1",
        "unroute old2",
        "stop old1",
        "stop old2",
    ]
    assert sorted(ledger.instances) == ["new1", "new2"]
    assert all(i.state == InstanceState.RUNNING for i in ledger.instances.values())
    assert all(i.health is Health.HEALTHY for i in ledger.instances.values())
    kinds = [k for k, _ in ledger.events]
    assert kinds.count(EventKind.INSTANCE_HEALTHY) == 2 and EventKind.DRAINED in kinds


def test_circuit_breaker_removes_new_instances_and_keeps_old_serving(clock):
    runtime, ledger = InMemoryRuntime(clock), RecordingLedger()
    old = [running("old1", 1), running("old2", 1)]
    for i in old:
        ledger.save_instance(i)
    runtime.dies.add("new2")
    with pytest.raises(RolloutFailed) as failed:
        run(runtime, ledger, clock, old)
    assert failed.value.reason == "instance new2 exited with code 3 before passing its health check"
    assert failed.value.log_tail == "ERROR boom in new2"
    assert sorted(ledger.instances) == ["old1", "old2"]
    assert runtime.stopped == ["new1", "new2"]
    assert not runtime.draining
    assert (EventKind.GATE_FAILED, failed.value.reason) in ledger.events


def test_services_roll_out_side_by_side_and_the_old_leave_once_all_passed(clock):
    runtime, ledger = InMemoryRuntime(clock), RecordingLedger()
    old = [running("old1", 1), running("old2", 1), running("w1", 1, "worker")]
    for i in old:
        ledger.save_instance(i)
    # web passes its gate only once the worker has started: run in turn, web would fail it
    worker_started = threading.Event()
    runtime.default_health = lambda elapsed: worker_started.wait(
        timeout=2.0 if elapsed < 0.1 else 0
    )
    original_start = runtime.start

    def start(inst, release_, spec):
        started = original_start(inst, release_, spec)
        if spec.name == "worker":
            worker_started.set()
        return started

    runtime.start = start
    run(runtime, ledger, clock, old, services={"web": WEB, "worker": WORKER})
    log = runtime.log
    first_drain = min(i for i, line in enumerate(log) if line.startswith("drain"))
    assert first_drain > max(i for i, line in enumerate(log) if line.startswith("route"))
    assert sorted(runtime.stopped) == ["old1", "old2", "w1"]
    assert len({i.port for i in ledger.instances.values() if i.port is not None}) == 2


def test_a_service_failing_its_gate_leaves_every_service_s_old_instances_serving(clock):
    runtime, ledger = InMemoryRuntime(clock), RecordingLedger()
    old = [running("old1", 1), running("old2", 1), running("w1", 1, "worker")]
    for i in old:
        ledger.save_instance(i)
    runtime.default_health = lambda elapsed: elapsed >= 0.3
    worker_ids = []
    original_start = runtime.start

    def start(inst, release_, spec):
        if spec.name == "worker":
            worker_ids.append(inst.id)
            runtime.dies.add(inst.id)  # the worker crashes at boot
        return original_start(inst, release_, spec)

    runtime.start = start
    with pytest.raises(RolloutFailed) as failed:
        run(runtime, ledger, clock, old, services={"web": WEB, "worker": WORKER})
    assert "exited with code 3" in failed.value.reason
    assert sorted(ledger.instances) == ["old1", "old2", "w1"]
    assert not runtime.draining and not ({"old1", "old2", "w1"} & set(runtime.stopped))
    assert set(worker_ids) <= set(runtime.stopped)
    assert all(i.state == InstanceState.RUNNING for i in ledger.instances.values())
