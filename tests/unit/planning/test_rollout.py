from itertools import count

from launchdeck.domain import Amount, HealthCheck, Instance, InstanceState, Rollout, ServiceSpec
from launchdeck.planning import (
    AwaitHealthy,
    Desired,
    Drain,
    Plan,
    Route,
    Start,
    Stop,
    plan_rollout,
    render,
)

WEB = ServiceSpec(name="web", command="x", port=True, health=HealthCheck(path="/health"))
WORKER = ServiceSpec(name="worker", command="y")


def ids():
    n = count(1)
    return lambda service: f"{service}-n{next(n)}"


def inst(id_, release, service="web", state=InstanceState.RUNNING):
    return Instance(id=id_, app="a", env="e", service=service, release=release, state=state)


def desired(release=2, web=2, worker=0, spec=WEB, replace=frozenset()):
    services = {"web": spec}
    counts = {"web": web}
    if worker:
        services["worker"] = WORKER
        counts["worker"] = worker
    return Desired(release, services, counts, replace)


def test_first_deploy_starts_gates_and_routes_all_at_once():
    plan = plan_rollout(desired(release=1), [], ids())
    assert plan.actions == (
        Start("web", 1, ("web-n1", "web-n2")),
        AwaitHealthy("web", ("web-n1", "web-n2")),
        Route("web", ("web-n1", "web-n2")),
    )


def test_default_rollout_retires_old_only_after_new_pass_the_gate():
    old = [inst("old1", 1), inst("old2", 1)]
    plan = plan_rollout(desired(), old, ids())
    assert plan.actions == (
        Start("web", 2, ("web-n1", "web-n2")),
        AwaitHealthy("web", ("web-n1", "web-n2")),
        Route("web", ("web-n1", "web-n2")),
        Drain("web", ("old1", "old2")),
        Stop("web", ("old1", "old2")),
    )


def test_surge_of_one_rolls_one_at_a_time_never_below_count():
    spec = ServiceSpec(
        name="web",
        command="x",
        port=True,
        health=HealthCheck(),
        rollout=Rollout(max_surge=Amount(1), max_unavailable=Amount(0)),
    )
    old = [inst("old1", 1), inst("old2", 1)]
    plan = plan_rollout(desired(spec=spec), old, ids())
    assert plan.actions == (
        Start("web", 2, ("web-n1",)),
        AwaitHealthy("web", ("web-n1",)),
        Route("web", ("web-n1",)),
        Drain("web", ("old1",)),
        Stop("web", ("old1",)),
        Start("web", 2, ("web-n2",)),
        AwaitHealthy("web", ("web-n2",)),
        Route("web", ("web-n2",)),
        Drain("web", ("old2",)),
        Stop("web", ("old2",)),
    )


def test_max_unavailable_retires_before_starting():
    spec = ServiceSpec(
        name="web",
        command="x",
        port=True,
        health=HealthCheck(),
        rollout=Rollout(max_surge=Amount(0), max_unavailable=Amount(1)),
    )
    plan = plan_rollout(desired(spec=spec), [inst("old1", 1), inst("old2", 1)], ids())
    assert plan.actions[:3] == (
        Drain("web", ("old1",)),
        Stop("web", ("old1",)),
        Start("web", 2, ("web-n1",)),
    )
    assert sum(len(a.ids) for a in plan.actions if isinstance(a, Start)) == 2


def test_nothing_to_do_when_desired_runs():
    plan = plan_rollout(desired(), [inst("a", 2), inst("b", 2)], ids())
    assert plan == Plan()
    assert not plan


def test_scale_up_adds_only_the_difference():
    plan = plan_rollout(desired(web=4), [inst("a", 2), inst("b", 2)], ids())
    assert plan.actions[0] == Start("web", 2, ("web-n1", "web-n2"))
    assert not any(isinstance(a, Drain) for a in plan.actions)


def test_scale_down_drains_the_surplus():
    current = [inst("a", 2), inst("b", 2), inst("c", 2), inst("d", 2)]
    plan = plan_rollout(desired(web=2), current, ids())
    assert plan.actions == (Drain("web", ("c", "d")), Stop("web", ("c", "d")))


def test_restart_replaces_instances_of_the_same_release():
    plan = plan_rollout(desired(replace=frozenset({"web"})), [inst("a", 2), inst("b", 2)], ids())
    assert plan.actions[0] == Start("web", 2, ("web-n1", "web-n2"))
    assert plan.actions[-1] == Stop("web", ("a", "b"))


def test_interrupted_starts_are_cleared_before_the_rollout_resumes():
    current = [inst("old1", 1), inst("old2", 1), inst("half", 2, state=InstanceState.STARTING)]
    plan = plan_rollout(desired(), current, ids())
    assert plan.actions[:2] == (Drain("web", ("half",)), Stop("web", ("half",)))
    assert plan.actions[2] == Start("web", 2, ("web-n1", "web-n2"))


def test_workers_are_gated_but_not_routed():
    plan = plan_rollout(desired(release=1, web=1, worker=1), [], ids())
    assert [type(a) for a in plan.actions] == [Start, AwaitHealthy, Start, AwaitHealthy, Route]
    assert plan.actions[2] == Start("worker", 1, ("worker-n2",))
    assert plan.actions[4] == Route("web", ("web-n1",))


def test_services_roll_out_side_by_side_and_go_live_only_once_all_passed_their_gates():
    old = [inst("a", 1), inst("w", 1, service="worker")]
    plan = plan_rollout(desired(release=2, web=1, worker=1), old, ids())
    assert plan.tracks == (
        (Start("web", 2, ("web-n1",)), AwaitHealthy("web", ("web-n1",))),
        (Start("worker", 2, ("worker-n2",)), AwaitHealthy("worker", ("worker-n2",))),
    )
    assert plan.then == (
        Route("web", ("web-n1",)),
        Drain("web", ("a",)),
        Stop("web", ("a",)),
        Drain("worker", ("w",)),
        Stop("worker", ("w",)),
    )


def test_a_batched_rollout_retires_between_batches_in_its_track_and_its_last_old_at_the_end():
    spec = ServiceSpec(
        name="web",
        command="x",
        port=True,
        health=HealthCheck(),
        rollout=Rollout(max_surge=Amount(1), max_unavailable=Amount(0)),
    )
    plan = plan_rollout(desired(spec=spec), [inst("old1", 1), inst("old2", 1)], ids())
    [track] = plan.tracks
    assert track[3:5] == (Drain("web", ("old1",)), Stop("web", ("old1",)))
    assert plan.then == (
        Route("web", ("web-n2",)),
        Drain("web", ("old2",)),
        Stop("web", ("old2",)),
    )


def test_services_removed_from_the_manifest_are_stopped():
    current = [inst("a", 1), inst("w", 1, service="worker")]
    plan = plan_rollout(desired(release=1, web=1), current, ids())
    assert plan.actions[-2:] == (Drain("worker", ("w",)), Stop("worker", ("w",)))


def test_dead_instances_are_ignored():
    current = [inst("a", 2), inst("b", 2, state=InstanceState.CRASHED)]
    plan = plan_rollout(desired(), current, ids())
    assert plan.actions[0] == Start("web", 2, ("web-n1",))


def test_render_prints_the_plan():
    plan = plan_rollout(desired(release=3, web=1), [inst("old", 2)], ids())
    assert render(plan) == [
        "start web v3: web-n1",
        "wait for web health: web-n1",
        "route traffic to web: web-n1",
        "drain web: old",
        "stop web: old",
    ]


def test_render_shows_services_side_by_side_and_what_waits_for_all():
    old = [inst("a", 1), inst("w", 1, service="worker")]
    plan = plan_rollout(desired(release=2, web=1, worker=1), old, ids())
    assert render(plan) == [
        "side by side (web, worker):",
        "  start web v2: web-n1",
        "  wait for web health: web-n1",
        "  start worker v2: worker-n2",
        "  wait for worker health: worker-n2",
        "once every service passed its gate:",
        "  route traffic to web: web-n1",
        "  drain web: a",
        "  stop web: a",
        "  drain worker: w",
        "  stop worker: w",
    ]
