from __future__ import annotations

import json

import pytest

from launchdeck.awsdeploy import (
    ChangeSetSummary,
    DeployEvent,
    Outcome,
    Phase,
    RolloutProgress,
    StackProgress,
    Waits,
    deploy,
)
from launchdeck.awsdeploy.deploy import check_pushed
from launchdeck.drivers.aws.errors import (
    ImageByTag,
    ImageNotPushed,
    InvalidTemplate,
    NoRolloutState,
    RolloutFailed,
    StackBusy,
    StackStuck,
    StackUpdateFailed,
    TimedOut,
)
from tests.unit.aws_deploy.fakes import (
    DIGEST_A,
    DIGEST_B,
    REGISTRY,
    ScriptedFailure,
    World,
    env_template,
    shared_template,
)

IMAGE_A = f"{REGISTRY}/launchdeck/shop/web@{DIGEST_A}"


class Recorder:
    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.summaries: list[ChangeSetSummary] = []
        self.events: list[DeployEvent] = []

    def confirm(self, summary: ChangeSetSummary) -> bool:
        self.summaries.append(summary)
        return self.answer

    def on_event(self, event: DeployEvent) -> None:
        self.events.append(event)


def run(world: World, image: str = IMAGE_A, recorder: Recorder | None = None, **kwargs):
    recorder = recorder or Recorder()
    kwargs.setdefault("env_template", env_template())
    return deploy(
        world.aws,
        "shop",
        kwargs.pop("env", "staging"),
        ["web", "worker"],
        shared_template(),
        kwargs.pop("env_template"),
        image,
        confirm=recorder.confirm,
        on_event=recorder.on_event,
        clock=world.clock,
        waits=kwargs.pop("waits", Waits(poll=5)),
        **kwargs,
    )


def change_set_calls(world: World) -> list[tuple]:
    return [args for name, args in world.calls if name == "create_change_set"]


def test_a_first_deploy_creates_both_stacks_and_waits_for_every_service_to_roll_out() -> None:
    world = World()
    world.push(DIGEST_A)
    recorder = Recorder()

    result = run(world, recorder=recorder)

    assert result.outcome is Outcome.CHANGED and result.shared is Outcome.CHANGED
    assert result.digest == DIGEST_A
    assert result.url == "https://shop-staging.elb.example"
    assert result.task_definitions == {
        "web": "shop-staging-web:1",
        "worker": "shop-staging-worker:1",
    }
    assert [(stack, create) for stack, create, *_ in change_set_calls(world)] == [
        ("launchdeck-shop", True),
        ("launchdeck-shop-staging", True),
    ]
    assert world.stacks.stacks["launchdeck-shop-staging"].parameters == {"ImageDigest": DIGEST_A}
    assert world.stacks.stacks["launchdeck-shop-staging"].status == "CREATE_COMPLETE"
    shared, env = recorder.summaries
    assert shared.lines()[0] == "create stack launchdeck-shop: 3 to add, 0 to modify, 0 to remove"
    assert env.creating and env.count("Add") == 7
    assert env.parameters == {"ImageDigest": ("", DIGEST_A)}
    streamed = [e for e in recorder.events if isinstance(e, StackProgress)]
    assert streamed[-1].event.status == "CREATE_COMPLETE"
    assert streamed[-1].event.logical_id == "launchdeck-shop-staging"
    rollouts = [e for e in recorder.events if isinstance(e, RolloutProgress)]
    assert {(e.service, e.state) for e in rollouts} >= {
        ("shop-staging-web", "IN_PROGRESS"),
        ("shop-staging-web", "COMPLETED"),
        ("shop-staging-worker", "COMPLETED"),
    }
    assert str(recorder.events[-1]) == (
        f"shop staging runs {DIGEST_A} at https://shop-staging.elb.example"
    )


def test_an_update_sends_the_new_digest_and_keeps_the_other_parameters() -> None:
    world = World()
    world.push(DIGEST_A)
    world.push(DIGEST_B)
    template = env_template(extra_parameters={"CertificateArn": {"Type": "String"}})
    run(world, env_template=template)
    world.stacks.stacks["launchdeck-shop-staging"].parameters["CertificateArn"] = "arn:cert"
    recorder = Recorder()

    result = run(
        world, f"{REGISTRY}/launchdeck/shop/web@{DIGEST_B}", recorder, env_template=template
    )

    assert result.outcome is Outcome.CHANGED and result.shared is Outcome.UNCHANGED
    assert change_set_calls(world)[-1] == (
        "launchdeck-shop-staging",
        False,
        {"ImageDigest": DIGEST_B},
        ("CertificateArn",),
    )
    assert world.stacks.stacks["launchdeck-shop-staging"].parameters == {
        "ImageDigest": DIGEST_B,
        "CertificateArn": "arn:cert",
    }
    (summary,) = recorder.summaries  # the shared stack had no changes: nothing to confirm
    assert str(summary) == "\n".join(
        [
            "update stack launchdeck-shop-staging: 0 to add, 2 to modify, 0 to remove",
            "  Modify WebTaskDefinition (AWS::ECS::TaskDefinition) replacement: False",
            "  Modify WorkerTaskDefinition (AWS::ECS::TaskDefinition) replacement: False",
            f"  ImageDigest: {DIGEST_A} -> {DIGEST_B}",
        ]
    )
    assert result.task_definitions == {
        "web": "shop-staging-web:2",
        "worker": "shop-staging-worker:2",
    }


def test_the_same_digest_again_is_a_no_op_that_asks_nothing_and_executes_nothing() -> None:
    world = World()
    world.push(DIGEST_A)
    run(world)
    executed = len(world.stacks.executed())
    recorder = Recorder()

    result = run(world, recorder=recorder)

    assert result.outcome is Outcome.UNCHANGED and result.shared is Outcome.UNCHANGED
    assert recorder.summaries == []
    assert len(world.stacks.executed()) == executed
    assert world.stacks.change_sets == {}  # the empty change sets were deleted
    assert [str(e) for e in recorder.events if isinstance(e, Phase)][1:3] == [
        "stack launchdeck-shop: no changes",
        "stack launchdeck-shop-staging: no changes",
    ]
    assert not any(name == "update_service" for name, _ in world.calls)


def test_a_failed_update_names_the_resource_that_failed_not_the_cancelled_ones() -> None:
    world = World()
    world.push(DIGEST_A)
    world.push(DIGEST_B)
    run(world)
    world.stacks.failures["launchdeck-shop-staging"] = ScriptedFailure(
        "WebTaskDefinition",
        "AWS::ECS::TaskDefinition",
        'Resource handler returned message: "Invalid request provided: Create TaskDefinition: '
        'No Fargate configuration exists for given values: 512 CPU, 256 memory."',
        cancelled="WorkerTaskDefinition",
    )
    recorder = Recorder()

    with pytest.raises(StackUpdateFailed) as failed:
        run(world, f"{REGISTRY}/launchdeck/shop/web@{DIGEST_B}", recorder)

    assert (failed.value.message, failed.value.fix) == (
        "stack launchdeck-shop-staging ended UPDATE_ROLLBACK_COMPLETE: WebTaskDefinition "
        '(AWS::ECS::TaskDefinition) failed: Resource handler returned message: "Invalid request '
        "provided: Create TaskDefinition: No Fargate configuration exists for given values: "
        '512 CPU, 256 memory."; CloudFormation rolled the stack back, so the previous release '
        "still serves",
        "fix the cause and deploy again",
    )
    assert failed.value.status == "UPDATE_ROLLBACK_COMPLETE"
    statuses = [e.event.status for e in recorder.events if isinstance(e, StackProgress)]
    assert statuses[-3:] == [
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    assert world.stacks.stacks["launchdeck-shop-staging"].parameters["ImageDigest"] == DIGEST_A


def test_a_declined_change_set_is_deleted_and_nothing_runs() -> None:
    world = World()
    world.push(DIGEST_A)

    result = run(world, recorder=Recorder(answer=False))

    assert result.outcome is Outcome.DECLINED and result.shared is Outcome.DECLINED
    assert world.stacks.executed() == []
    assert world.stacks.change_sets == {} and world.stacks.stacks == {}


def test_yes_executes_without_asking() -> None:
    world = World()
    world.push(DIGEST_A)
    recorder = Recorder(answer=False)

    result = run(world, recorder=recorder, yes=True)

    assert result.outcome is Outcome.CHANGED and recorder.summaries == []


def test_a_tag_is_refused_before_any_aws_call() -> None:
    world = World()

    with pytest.raises(ImageByTag):
        run(world, f"{REGISTRY}/launchdeck/shop/web:latest")

    assert world.calls == []


def test_a_template_without_the_image_parameter_is_refused_before_any_aws_call() -> None:
    world = World()
    template = json.loads(env_template())
    del template["Parameters"]["ImageDigest"]

    with pytest.raises(InvalidTemplate) as refused:
        run(world, env_template=json.dumps(template))

    assert (refused.value.message, refused.value.fix) == (
        "the environment template declares no ImageDigest parameter, so it cannot run an image by "
        "digest",
        "synthesize it again with this launchdeck (launchdeck aws synth)",
    )
    assert world.calls == []


def test_an_image_missing_from_a_service_repository_is_named_before_the_environment_changes() -> (
    None
):
    world = World()
    world.push(DIGEST_A, services=["web"])

    with pytest.raises(ImageNotPushed) as missing:
        run(world)

    assert (missing.value.message, missing.value.fix) == (
        f"{DIGEST_A} is not in ECR repository launchdeck/shop/worker: every service runs the same "
        "image from its own repository",
        "push it to each one (docker buildx imagetools create --tag "
        "<registry>/<repository>:<tag> <image>@<digest>) and deploy again",
    )
    assert "launchdeck-shop-staging" not in world.stacks.stacks


def test_a_repository_the_shared_stack_did_not_make_is_named_too() -> None:
    world = World()
    world.registry.images["launchdeck/shop/web"] = set()

    with pytest.raises(ImageNotPushed) as missing:
        check_pushed(world.aws.registry, "shop", ["web", "worker"], DIGEST_A)

    # two problems: each line carries its own fix
    assert (missing.value.message, missing.value.fix) == (
        f"{DIGEST_A} is not in ECR repository launchdeck/shop/web: every service runs the same "
        "image from its own repository; fix: push it to each one (docker buildx imagetools "
        "create --tag <registry>/<repository>:<tag> <image>@<digest>) and deploy again\n"
        "ECR repository launchdeck/shop/worker does not exist: the shared stack makes one per "
        "service; fix: synthesize the templates again from the manifest (launchdeck aws synth) "
        "and deploy again",
        "",
    )


def test_a_stack_in_the_middle_of_an_update_is_left_alone() -> None:
    world = World()
    world.push(DIGEST_A)
    world.stacks.put("launchdeck-shop-staging", "UPDATE_IN_PROGRESS")
    world.stacks.put("launchdeck-shop", "CREATE_COMPLETE")

    with pytest.raises(StackBusy) as busy:
        run(world)

    assert (busy.value.message, busy.value.fix) == (
        "stack launchdeck-shop-staging is UPDATE_IN_PROGRESS: another deploy or rollback is "
        "changing it",
        "wait for it to finish (launchdeck aws status shows progress) and run the command again",
    )


def test_a_stack_whose_creation_failed_must_be_deleted_first() -> None:
    world = World()
    world.push(DIGEST_A)
    world.stacks.put("launchdeck-shop", "ROLLBACK_COMPLETE")

    with pytest.raises(StackStuck) as stuck:
        run(world)

    assert (stuck.value.message, stuck.value.fix) == (
        "stack launchdeck-shop is ROLLBACK_COMPLETE and cannot be updated: its first creation "
        "failed and left nothing running",
        "delete it (aws cloudformation delete-stack --stack-name launchdeck-shop) and deploy again",
    )


def test_a_failed_rollout_reports_the_service_and_its_last_events() -> None:
    world = World()
    world.push(DIGEST_A)
    world.services.fail_next["shop-staging-worker"] = "tasks failed to start"

    with pytest.raises(RolloutFailed) as failed:
        run(world)

    assert str(failed.value) == "\n".join(
        [
            "the deployment of ECS service shop-staging-worker FAILED: tasks failed to start; ECS "
            "keeps the previous tasks serving; its last events:",
            "  (shop-staging-worker) task failed: tasks failed to start",
            "  (shop-staging-worker) has started 2 tasks",
        ]
    )


def test_a_rollout_that_never_settles_times_out_on_the_clock_passed_in() -> None:
    world = World()
    world.push(DIGEST_A)
    world.services.rollout_polls = 10_000

    with pytest.raises(TimedOut) as late:
        run(world, waits=Waits(rollout=60, poll=5))

    assert str(late.value).startswith(
        "the rollout of shop-staging-web, shop-staging-worker did not finish within 60s "
        "(last seen: shop-staging-web: IN_PROGRESS (0/2 running), "
    )
    assert 60 <= world.clock.t - 1_700_000_000.0 < 200  # fake time: the test did not sleep


def test_a_missing_rollout_state_is_an_error_unless_explicitly_allowed() -> None:
    world = World()
    world.push(DIGEST_A)
    world.services.drop_rollout_state = True

    with pytest.raises(NoRolloutState):
        run(world)

    world = World()
    world.push(DIGEST_A)
    world.services.drop_rollout_state = True
    result = run(world, waits=Waits(allow_missing_rollout_state=True))
    assert result.outcome is Outcome.CHANGED


def big(template: str, size: int = 60_000) -> str:
    """`template` past CloudFormation's inline limit (many alerts do that), its meaning kept."""
    body = json.loads(template)
    body["Description"] = "x" * size
    return json.dumps(body)


def test_a_template_too_big_to_send_inline_goes_through_the_template_bucket() -> None:
    world = World()
    world.push(DIGEST_A)
    recorder = Recorder()
    template = big(env_template())

    result = run(world, recorder=recorder, env_template=template)

    assert result.outcome is Outcome.CHANGED
    assert [args for name, args in world.calls if name == "put_object"] == [
        ("shop-templates", "launchdeck-shop-staging")
    ]
    [(url, stored)] = world.templates.objects.items()
    assert (
        stored == template and world.stacks.stacks["launchdeck-shop-staging"].template == template
    )
    size = len(template.encode())
    assert f"stack launchdeck-shop-staging: template ({size} bytes) read from {url}" in [
        str(e) for e in recorder.events
    ]
    run(world, recorder=Recorder())  # a small one is sent inline again
    assert len(world.templates.objects) == 1
