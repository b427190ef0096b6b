"""A one-off command in an environment on AWS (`launchdeck aws run -- COMMAND`): an ECS task of
the environment's one-off family (its latest revision: the stack's image, config, secrets and
add-ons) with the command as the container's, in the private subnets with the app's security
group, as the stack's outputs give them. Its log stream is followed until it stops, and its exit
code is the result; detached, the task's ARN is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from launchdeck.awsdeploy.layout import RunLayout, deployed, run_layout
from launchdeck.awsdeploy.model import (
    LogLine,
    Phase,
    RunEvent,
    RunResult,
    TaskProgress,
    TaskStarted,
)
from launchdeck.awsdeploy.ports import AwsApis, LogApi
from launchdeck.awsdeploy.record import read_record
from launchdeck.drivers.aws.clients import LogEvent, RunRequest, TaskState
from launchdeck.drivers.aws.errors import InvalidRequest, TaskFailed, TaskGone
from launchdeck.drivers.aws.names import RUN, RUN_GROUP
from launchdeck.system.clock import SYSTEM_CLOCK, Clock

QUIET_READS = 2  # after the task stops: reads with nothing new before the output counts as whole
MAX_DRAIN_READS = 10  # CloudWatch gets the last lines a few seconds after the container stops


def ignore(event: RunEvent) -> None:
    pass


def drop(line: LogLine) -> None:
    pass


def run(
    aws: AwsApis,
    app: str,
    env: str,
    command: str,
    *,
    detach: bool = False,
    on_event: Callable[[RunEvent], None] = ignore,
    on_line: Callable[[LogLine], None] = drop,
    clock: Clock = SYSTEM_CLOCK,
    poll: float = 2.0,
) -> RunResult:
    """Start the task; unless `detach`, give its output line by line and wait for its exit."""
    if not command.strip():
        raise InvalidRequest(
            "no command to run", "give it after --: launchdeck aws run -- python manage.py migrate"
        )
    where = run_layout(deployed(aws.stacks, app, env))
    if (record := read_record(aws.parameters, app, env)) is not None:
        rolled = ", ".join(record.services) or "its services"
        on_event(Phase(f"{env} was rolled back ({rolled} run older revisions): this task runs "
                       "the stack's, the image the next deploy returns to"))  # fmt: skip
    arn = aws.tasks.run(
        RunRequest(
            cluster=where.cluster,
            family=where.family,
            container=RUN,
            command=command,
            subnets=where.subnets,
            security_groups=where.security_groups,
            group=RUN_GROUP,
        )
    )
    started = TaskStarted(where.cluster, arn, where.family, command)
    on_event(started)
    if detach:
        return RunResult(arn)
    state = _follow(aws, where, started, on_event, on_line, clock, poll)
    if state.exit_code is None:
        reason = state.container_reason or state.stopped_reason
        raise TaskFailed(started.id, state.stop_code, reason)
    return RunResult(arn, state.exit_code, state.stopped_reason)


def _follow(
    aws: AwsApis,
    where: RunLayout,
    started: TaskStarted,
    on_event: Callable[[RunEvent], None],
    on_line: Callable[[LogLine], None],
    clock: Clock,
    poll: float,
) -> TaskState:
    """Watch the task to its end, giving each line of its stream as it comes, then the last."""
    stream = f"{RUN}/{RUN}/{started.id}"  # awslogs: <prefix>/<container>/<task id>
    tail = StreamTail(aws.logs, where.log_group, stream)

    def give() -> int:
        events = tail.fresh()
        for event in events:
            when = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)
            on_line(LogLine(when, RUN, event.message))
        return len(events)

    status = ""
    while True:
        state = aws.tasks.describe(where.cluster, started.task, RUN)
        if state is None:
            raise TaskGone(where.cluster, started.id, where.log_group, stream)
        if state.status != status:
            status = state.status
            on_event(TaskProgress(started.id, status))
        give()
        if state.stopped:
            break
        clock.sleep(poll)
    quiet = 0
    for _ in range(MAX_DRAIN_READS):
        if quiet >= QUIET_READS:
            break
        clock.sleep(poll)
        quiet = 0 if give() else quiet + 1
    return state


class StreamTail:
    """One log stream read forward from where it got to: GetLogEvents hands back a token that
    marks the place (the same one again at the end of the stream). A read takes up to 10,000
    lines; a longer backlog comes over the next reads."""

    def __init__(self, logs: LogApi, group: str, stream: str) -> None:
        self._logs = logs
        self._group = group
        self._stream = stream
        self._token: str | None = None

    def fresh(self) -> list[LogEvent]:
        events, token = self._logs.page(self._group, self._stream, self._token)
        self._token = token if token is not None else self._token
        return events
