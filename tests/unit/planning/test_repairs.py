"""The reconciler's decisions, pass by pass on a manual clock: what a snapshot of one
environment and the state carried from earlier passes plan."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import count

import pytest

from launchdeck.domain import HealthCheck, Instance, InstanceState, ServiceSpec
from launchdeck.planning import AwaitHealthy, Desired, Plan, Route, Start
from launchdeck.planning.repairs import (
    CRASH_WINDOW,
    AdoptInstance,
    Converge,
    ForgetGone,
    HoldBack,
    Observed,
    RepairState,
    RestartRouter,
    RetireFailing,
    RouteInstance,
    Snapshot,
    UnrouteServer,
    backoff_delay,
    describe,
    plan_repairs,
    plan_router,
)
from tests.clock import ManualClock

RUNNING, STARTING, DRAINING = InstanceState.RUNNING, InstanceState.STARTING, InstanceState.DRAINING
WEB = ServiceSpec(
    name="web",
    command="serve",
    port=True,
    health=HealthCheck(path="/health", interval=1.0, unhealthy=3),  # a 3 s failure window
    stop_timeout=7.0,
)
WORKER = ServiceSpec(name="worker", command="work")
SERVICES = {"web": WEB, "worker": WORKER}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def inst(
    id_: str, service: str = "web", state: InstanceState = RUNNING, pid: int = 100
) -> Instance:
    return Instance(
        id=id_,
        app="shop",
        env="staging",
        service=service,
        release=3,
        state=state,
        port=9000,
        pid=pid,
    )


def snap(
    alive: Sequence[Instance] = (),
    dead: Sequence[Instance] = (),
    *,
    web: int = 1,
    worker: int = 0,
    routed: Collection[str] | None = None,
    down: Collection[str] = (),
    release: bool = True,
) -> Snapshot:
    """One environment at release v3: `routed` defaults to every running web instance."""
    observed = tuple(Observed(i, alive=True) for i in alive) + tuple(
        Observed(i, alive=False) for i in dead
    )
    if not release:
        return Snapshot("shop", "staging", observed)
    if routed is None:
        routed = {i.id for i in alive if i.service == "web" and i.state == RUNNING}
    desired = Desired(3, SERVICES, {"web": web, "worker": worker})
    return Snapshot(
        "shop", "staging", observed, desired, {"web": frozenset(routed)}, {"web": frozenset(down)}
    )


class Planner:
    """Runs passes as the reconciler does: each pass starts from the state the last one left."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.state = RepairState()
        self._n = count(1)

    def new_id(self, service: str) -> str:
        return f"{service}.v3-{next(self._n)}"

    def plan(self, snapshot: Snapshot) -> tuple:
        repairs = plan_repairs(snapshot, self.state, now=self.clock.monotonic(), new_id=self.new_id)
        self.state = repairs.state
        return repairs.actions


def kinds(actions: tuple) -> list[str]:
    return [type(a).__name__ for a in actions]


# -- crashes and backoff ----------------------------------------------------------------------


def test_a_crashed_instance_is_forgotten_and_replaced_at_once(clock: ManualClock) -> None:
    gone, other = inst("web.v3-a"), inst("web.v3-b")
    planner = Planner(clock)

    actions = planner.plan(snap([other], [gone], web=2))

    assert actions == (
        ForgetGone(gone, crashed=True),
        Converge(
            Plan(
                ((Start("web", 3, ("web.v3-1",)), AwaitHealthy("web", ("web.v3-1",))),),
                (Route("web", ("web.v3-1",)),),
            ),
            (other,),
        ),
    )
    assert planner.state.crashes == {"web": (1000.0,)}


def test_a_starting_instance_that_dies_crashed_but_a_draining_one_did_not(
    clock: ManualClock,
) -> None:
    starting = inst("worker.v3-a", "worker", STARTING)
    draining = inst("web.v3-old", state=DRAINING)
    planner = Planner(clock)

    actions = planner.plan(snap([inst("web.v3-b")], [starting, draining], worker=1))

    assert actions[:2] == (ForgetGone(starting, crashed=True), ForgetGone(draining, crashed=False))
    assert planner.state.crashes == {"worker": (1000.0,)}


def test_the_wait_before_a_replacement_doubles_with_each_crash_up_to_a_minute(
    clock: ManualClock,
) -> None:
    planner = Planner(clock)
    waits = []
    for n in range(10):
        actions = planner.plan(snap(dead=[inst(f"web.v3-dead{n}")]))  # its process just died
        crashed_at = clock.t
        while not any(isinstance(a, Converge) for a in actions):
            assert kinds(actions) in (["ForgetGone", "HoldBack"], ["HoldBack"])
            clock.advance(0.25)
            actions = planner.plan(snap())  # the crash was forgotten: nothing runs
        waits.append(clock.t - crashed_at)

    assert waits == [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert [backoff_delay(n) for n in range(1, 11)] == waits


def test_a_hold_names_the_service_its_crashes_and_when_it_ends(clock: ManualClock) -> None:
    planner = Planner(clock)
    planner.plan(snap(dead=[inst("web.v3-a")]))
    clock.advance(0.5)

    actions = planner.plan(snap(dead=[inst("web.v3-b")]))

    assert actions == (ForgetGone(inst("web.v3-b"), crashed=True), HoldBack("web", 2, 1.0, 1001.5))
    clock.advance(0.999)
    assert kinds(planner.plan(snap())) == ["HoldBack"]
    clock.advance(0.001)
    assert kinds(planner.plan(snap())) == ["Converge"]


def test_crashes_older_than_the_window_no_longer_count(clock: ManualClock) -> None:
    planner = Planner(clock)
    for n in range(4):  # four quick crashes: the next replacement would wait 8 s
        planner.plan(snap(dead=[inst(f"web.v3-{n}")]))
        clock.advance(0.1)
    clock.advance(CRASH_WINDOW / 2)
    assert kinds(planner.plan(snap(dead=[inst("web.v3-x")]))) == ["ForgetGone", "HoldBack"]
    assert planner.state.crashes["web"][-1] == clock.t

    clock.advance(CRASH_WINDOW)  # a healthy stretch
    assert planner.plan(snap([inst("web.v3-y")])) == ()
    assert planner.state.crashes == {}
    actions = planner.plan(snap(dead=[inst("web.v3-y")]))

    assert kinds(actions) == ["ForgetGone", "Converge"]  # a first crash again: at once


def test_a_failed_replacement_counts_as_a_crash(clock: ManualClock) -> None:
    planner = Planner(clock)
    actions = planner.plan(snap(dead=[inst("web.v3-a")]))
    converge = actions[-1]
    assert isinstance(converge, Converge) and converge.services == {"web"}

    planner.state = planner.state.crashed(converge.services, clock.t)  # its health gate failed
    clock.advance(0.5)

    assert planner.plan(snap()) == (HoldBack("web", 2, 1.0, 1001.0),)


def test_a_service_backing_off_holds_back_the_whole_rollout(clock: ManualClock) -> None:
    planner = Planner(clock)
    planner.plan(snap(dead=[inst("web.v3-a")]))
    planner.plan(snap(dead=[inst("web.v3-b")]))

    actions = planner.plan(snap(worker=1))  # a worker is missing too, but the rollout is one

    assert actions == (HoldBack("web", 2, 1.0, 1001.0),)


# -- failing health checks ----------------------------------------------------------------------


def test_an_instance_down_is_replaced_only_once_it_stays_down_a_whole_window(
    clock: ManualClock,
) -> None:
    sick, well = inst("web.v3-sick"), inst("web.v3-well")
    planner = Planner(clock)

    assert planner.plan(snap([sick, well], web=2, down={sick.id})) == ()
    assert planner.state.down_since == {sick.id: 1000.0}
    clock.advance(2.9)
    assert planner.plan(snap([sick, well], web=2, down={sick.id})) == ()
    clock.advance(0.1)
    actions = planner.plan(snap([sick, well], web=2, down={sick.id}))

    assert actions[0] == RetireFailing(sick, down_for=3.0, health_path="/health", stop_timeout=7.0)
    assert isinstance(actions[1], Converge) and actions[1].instances == (well,)
    assert actions[1].rollout.actions[0] == Start("web", 3, ("web.v3-1",))
    assert planner.state.crashes == {"web": (1003.0,)}
    assert planner.state.down_since == {}


def test_an_instance_that_comes_back_up_starts_its_window_again(clock: ManualClock) -> None:
    sick = inst("web.v3-sick")
    planner = Planner(clock)
    planner.plan(snap([sick], down={sick.id}))
    clock.advance(2.0)
    assert planner.plan(snap([sick])) == ()  # UP again
    assert planner.state.down_since == {}
    clock.advance(0.5)
    planner.plan(snap([sick], down={sick.id}))
    clock.advance(2.5)  # 5 s since it first went DOWN, 2.5 s of this stretch

    assert planner.plan(snap([sick], down={sick.id})) == ()
    clock.advance(0.5)
    assert kinds(planner.plan(snap([sick], down={sick.id}))) == ["RetireFailing", "Converge"]


def test_only_running_instances_are_judged_by_the_router(clock: ManualClock) -> None:
    starting = inst("web.v3-new", state=STARTING)
    planner = Planner(clock)
    planner.plan(snap([starting], down={starting.id}))
    clock.advance(10)

    actions = planner.plan(snap([starting], down={starting.id}))

    assert not any(isinstance(a, RetireFailing) for a in actions)
    assert planner.state.down_since == {}


# -- adoption and routes ------------------------------------------------------------------------


def test_an_instance_found_by_its_pidfile_is_adopted_unless_it_is_gone(clock: ManualClock) -> None:
    found, dead = inst("web.v3-a", pid=4242), inst("web.v3-b", pid=4343)
    snapshot = snap([found], web=1)
    snapshot = Snapshot(
        "shop", "staging", (Observed(found, True, adopted=True), Observed(dead, False, adopted=True)),
        snapshot.desired, snapshot.routed, snapshot.down,
    )  # fmt: skip

    actions = Planner(clock).plan(snapshot)

    assert actions == (AdoptInstance(found), ForgetGone(dead, crashed=True))


def test_the_router_gets_running_instances_back_and_loses_servers_of_no_instance(
    clock: ManualClock,
) -> None:
    lost, gone = inst("web.v3-lost"), inst("web.v3-gone")
    starting = inst("web.v3-new", state=STARTING)

    actions = Planner(clock).plan(
        snap([lost, starting], [gone], web=1, routed={"web.v3-stray", gone.id})
    )

    assert actions[:3] == (
        ForgetGone(gone, crashed=True),  # takes its own server out
        RouteInstance(lost),
        UnrouteServer("shop", "staging", "web", "web.v3-stray"),
    )


def test_an_environment_without_a_release_only_clears_gone_instances(clock: ManualClock) -> None:
    gone = inst("web.v3-a")

    actions = Planner(clock).plan(snap([inst("web.v3-b")], [gone], release=False))

    assert actions == (ForgetGone(gone, crashed=True),)


def test_a_healthy_environment_needs_nothing(clock: ManualClock) -> None:
    planner = Planner(clock)

    repairs = plan_repairs(
        snap([inst("web.v3-a"), inst("worker.v3-b", "worker")], worker=1),
        RepairState(),
        now=clock.t,
        new_id=planner.new_id,
    )

    assert not repairs and repairs.state == RepairState()


def test_a_stopped_router_is_restarted() -> None:
    assert plan_router(running=True) == ()
    assert plan_router(running=False) == (RestartRouter(),)


def test_each_decision_is_one_line_with_its_figures() -> None:
    assert describe(HoldBack("web", 4, 4.0, 1010.0)) == (
        "web crashed 4 times in 300s: replacing it 4s after the last crash"
    )
    assert describe(RetireFailing(inst("web.v3-a"), 3.25, "/health", 7.0)) == (
        "instance web.v3-a fails its health check (GET /health, down 3.2s): replacing it"
    )
    assert describe(ForgetGone(inst("web.v3-a", pid=77), crashed=True)) == (
        "instance web.v3-a (pid 77) is gone (crashed)"
    )
