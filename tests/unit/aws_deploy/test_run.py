"""`aws run`: a one-off task of the environment's release, followed to its exit code."""

from __future__ import annotations

import pytest

from launchdeck.awsdeploy import (
    Phase,
    RunEvent,
    RunResult,
    TaskProgress,
    TaskStarted,
    Waits,
    deploy,
    rollback,
    run,
)
from launchdeck.awsdeploy.model import LogLine
from launchdeck.drivers.aws.clients import RunRequest
from launchdeck.drivers.aws.errors import (
    InvalidRequest,
    OutputMissing,
    StackMissing,
    TaskFailed,
    TaskGone,
    TaskNotStarted,
)
from tests.unit.aws_deploy.fakes import (
    DIGEST_A,
    DIGEST_B,
    REGISTRY,
    TASK_ID,
    TaskScript,
    World,
    env_template,
    shared_template,
)

TASK = f"arn:aws:ecs:us-east-1:123456789012:task/shop-staging/{TASK_ID}"


def deployed(*digests: str) -> World:
    world = World()
    for digest in digests or (DIGEST_A,):
        world.push(digest)
        deploy(
            world.aws, "shop", "staging", ["web", "worker"], shared_template(), env_template(),
            f"{REGISTRY}/launchdeck/shop/web@{digest}",
            confirm=lambda _: True, clock=world.clock, waits=Waits(),
        )  # fmt: skip
    world.calls.clear()
    world.clock.sleeps.clear()
    return world


class Seen:
    def __init__(self) -> None:
        self.events: list[RunEvent] = []
        self.lines: list[LogLine] = []

    def event(self, event: RunEvent) -> None:
        self.events.append(event)

    def line(self, line: LogLine) -> None:
        self.lines.append(line)

    @property
    def messages(self) -> list[str]:
        return [line.message for line in self.lines]


def start(world: World, command: str = "python manage.py migrate", **kwargs: bool) -> Seen:
    seen = Seen()
    result = run(
        world.aws, "shop", "staging", command,
        on_event=seen.event, on_line=seen.line, clock=world.clock, **kwargs,
    )  # fmt: skip
    seen.result = result  # type: ignore[attr-defined]
    return seen


def test_a_run_is_a_fargate_task_of_the_one_off_family_where_the_stack_says() -> None:
    world = deployed()
    start(world)
    assert world.tasks.started == [
        RunRequest(
            cluster="shop-staging",
            family="shop-staging-run",
            container="run",
            command="python manage.py migrate",
            subnets=("subnet-a", "subnet-b"),
            security_groups=("sg-app",),
            group="run",
        )
    ]


def test_its_lines_come_as_they_are_written_and_its_exit_code_is_the_result() -> None:
    world = deployed()
    world.tasks.script = TaskScript(
        lines={2: ["Operations to perform:"], 3: ["  Apply all migrations", "OK"]},
        late=["migrated 3 apps"],
        exit_code=3,
    )
    seen = start(world)
    assert seen.result == RunResult(TASK, 3, "")  # type: ignore[attr-defined]
    assert seen.messages == [
        "Operations to perform:",
        "  Apply all migrations",
        "OK",
        "migrated 3 apps",  # reached CloudWatch after the task stopped: still given
    ]
    assert {line.service for line in seen.lines} == {"run"}
    assert seen.events == [
        TaskStarted("shop-staging", TASK, "shop-staging-run", "python manage.py migrate"),
        TaskProgress(TASK_ID, "PROVISIONING"),
        TaskProgress(TASK_ID, "PENDING"),
        TaskProgress(TASK_ID, "RUNNING"),
        TaskProgress(TASK_ID, "STOPPED"),
    ]
    streams = {args[1] for name, args in world.calls if name == "get_log_events"}
    assert streams == {f"run/run/{TASK_ID}"}


def test_each_line_is_given_once_however_often_the_stream_is_read() -> None:
    world = deployed()
    world.tasks.script = TaskScript(
        statuses=("RUNNING",) * 5 + ("STOPPED",), lines={0: ["one"], 3: ["two"]}
    )
    seen = start(world)
    assert seen.messages == ["one", "two"]
    assert world.clock.sleeps and set(world.clock.sleeps) == {2.0}


def test_detached_it_returns_the_task_at_once() -> None:
    world = deployed()
    seen = start(world, detach=True)
    assert seen.result == RunResult(TASK)  # type: ignore[attr-defined]
    assert [name for name, _ in world.calls if name in ("describe_tasks", "get_log_events")] == []
    assert world.clock.sleeps == []


def test_a_task_that_stops_before_its_command_ran_says_why() -> None:
    world = deployed()
    world.tasks.script = TaskScript(
        exit_code=None, stop_code="TaskFailedToStart", reason="CannotPullContainerError: 404"
    )
    with pytest.raises(TaskFailed) as caught:
        start(world)
    assert caught.value.message == (
        f"ECS task {TASK_ID} stopped before its command finished, with no exit code: "
        "TaskFailedToStart: CannotPullContainerError: 404"
    )


def test_ecs_refusing_to_start_it_is_said_before_any_wait() -> None:
    world = deployed()
    world.tasks.script = TaskScript(refused=["RESOURCE:FARGATE"])
    with pytest.raises(TaskNotStarted):
        start(world)
    assert world.clock.sleeps == []


def test_a_task_ecs_forgot_points_at_its_logs() -> None:
    world = deployed()
    world.tasks.script = TaskScript(forgotten=True)
    with pytest.raises(TaskGone) as caught:
        start(world)
    assert caught.value.fix == (
        f"read its output in CloudWatch Logs: log group /launchdeck/shop-staging/run, "
        f"stream run/run/{TASK_ID}"
    )


def test_no_command_is_refused_before_any_aws_call() -> None:
    world = deployed()
    with pytest.raises(InvalidRequest):
        start(world, command="  ")
    assert world.calls == []


def test_an_environment_never_deployed() -> None:
    with pytest.raises(StackMissing):
        start(World())


def test_a_stack_from_before_one_off_tasks_says_to_deploy_again() -> None:
    world = deployed()
    stack = world.stacks.stacks["launchdeck-shop-staging"]
    del stack.outputs["RunTaskFamily"]
    with pytest.raises(OutputMissing) as caught:
        start(world)
    assert "RunTaskFamily" in caught.value.message
    assert caught.value.fix == "synthesize it again (launchdeck aws synth) and deploy"


def test_after_a_rollback_it_says_which_image_it_runs() -> None:
    world = deployed(DIGEST_A, DIGEST_B)
    rollback(world.aws, "shop", "staging", ["web", "worker"], clock=world.clock)
    seen = start(world)
    notes = [str(event) for event in seen.events if isinstance(event, Phase)]
    assert notes == [
        "staging was rolled back (web, worker run older revisions): this task runs the stack's, "
        "the image the next deploy returns to"
    ]
