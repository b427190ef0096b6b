"""Named in-memory fakes of the AWS wrappers, linked into one small world: executing an
environment stack registers task definition revisions and rolls the ECS services, as
CloudFormation would. Every call is logged in `world.calls`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from launchdeck.awsdeploy.ports import AwsApis
from launchdeck.drivers.aws.clients import (
    Deployment,
    ImagePresence,
    LogEvent,
    RunRequest,
    ServiceEvent,
    ServiceState,
    TaskDefinitionArn,
    TaskState,
)
from launchdeck.drivers.aws.errors import ServiceMissing, TaskNotStarted
from tests.clock import ManualClock
from tests.unit.aws_deploy.fakes_stacks import Calls, InMemoryStacks, ScriptedFailure
from tests.unit.aws_deploy.templates import env_template, shared_template

__all__ = ["ScriptedFailure", "env_template", "shared_template"]

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
TASK_ID = "0123456789abcdef0123456789abcdef"
RUN_GROUP = "/launchdeck/shop-staging/run"  # the fake template's RunLogGroup output


# ---------------------------------------------------------------- ECS


@dataclass
class _Service:
    name: str
    task_definition: str
    desired: int = 2
    deployments: list[Deployment] = field(default_factory=list)
    events: list[ServiceEvent] = field(default_factory=list)  # newest first
    polls_to_complete: int = 0


class InMemoryServices:
    def __init__(self, calls: Calls, *, rollout_polls: int = 2) -> None:
        self.calls = calls
        self.rollout_polls = rollout_polls
        self.services: dict[tuple[str, str], _Service] = {}
        self.revisions: dict[str, list[tuple[int, bool]]] = {}  # family -> (revision, active)
        self.fail_next: dict[str, str] = {}  # service -> rolloutStateReason of its next rollout
        self.drop_rollout_state = False  # like moto

    # -- the ServiceApi
    def describe(self, cluster: str, names: Sequence[str]) -> dict[str, ServiceState]:
        self.calls.append(("describe_services", (cluster, tuple(names))))
        found = {}
        for name in names:
            service = self.services.get((cluster, name))
            if service is None:
                raise ServiceMissing(cluster, name)
            self._advance(service)
            found[name] = self._state(service)
        return found

    def update(
        self, cluster: str, name: str, task_definition: str, *, force_new_deployment: bool = False
    ) -> None:
        self.calls.append(("update_service", (cluster, name, task_definition)))
        family, revision = task_definition.rsplit("/", 1)[-1].split(":")
        assert (int(revision), True) in self.revisions[family], "only ACTIVE revisions run"
        self.roll(cluster, name, task_definition)

    def latest(self, family: str) -> TaskDefinitionArn | None:
        self.calls.append(("latest", (family,)))
        active = sorted((r for r, ok in self.revisions.get(family, []) if ok), reverse=True)
        return TaskDefinitionArn(arn(family, active[0])) if active else None

    def previous(self, family: str, current: str) -> TaskDefinitionArn | None:
        self.calls.append(("previous", (family, current)))
        below = TaskDefinitionArn(current).revision
        older = sorted(
            (r for r, ok in self.revisions.get(family, []) if ok and r < below), reverse=True
        )
        return TaskDefinitionArn(arn(family, older[0])) if older else None

    # -- what CloudFormation (or a test) does to ECS
    def register(self, family: str) -> str:
        revisions = self.revisions.setdefault(family, [])
        revision = len(revisions) + 1
        revisions.append((revision, True))
        return arn(family, revision)

    def roll(self, cluster: str, name: str, task_definition: str) -> None:
        service = self.services.setdefault((cluster, name), _Service(name, task_definition))
        service.task_definition = task_definition
        old = [replace(d, status="ACTIVE") for d in service.deployments if d.status == "PRIMARY"]
        state = None if self.drop_rollout_state else "IN_PROGRESS"
        primary = Deployment(
            f"ecs-svc/{len(service.events)}",
            "PRIMARY",
            task_definition,
            state,
            "",
            0,
            service.desired,
        )
        service.deployments = [primary, *old]
        service.polls_to_complete = self.rollout_polls
        service.events.insert(
            0, ServiceEvent(f"ev{len(service.events)}", f"({name}) has started 2 tasks")
        )

    def _advance(self, service: _Service) -> None:
        primary = service.deployments[0] if service.deployments else None
        if primary is None or primary.rollout_state != "IN_PROGRESS":
            return
        service.polls_to_complete -= 1
        if service.polls_to_complete > 0:
            return
        if reason := self.fail_next.pop(service.name, ""):
            service.events.insert(0, ServiceEvent("evf", f"({service.name}) task failed: {reason}"))
            service.deployments[0] = replace(primary, rollout_state="FAILED", rollout_reason=reason)
            return
        service.deployments = [replace(primary, rollout_state="COMPLETED", running=service.desired)]
        service.events.insert(
            0, ServiceEvent("evs", f"({service.name}) has reached a steady state.")
        )

    def _state(self, service: _Service) -> ServiceState:
        primary = service.deployments[0] if service.deployments else None
        running = primary.running if primary else 0
        return ServiceState(
            service.name,
            "ACTIVE",
            service.task_definition,
            running,
            service.desired,
            tuple(service.deployments),
            tuple(service.events),
        )


def arn(family: str, revision: int) -> str:
    return f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{family}:{revision}"


# ---------------------------------------------------------------- the rest


class InMemoryRegistry:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.images: dict[str, set[str]] = {}  # repository -> digests

    def image(self, repository: str, digest: str) -> ImagePresence:
        self.calls.append(("describe_images", (repository, digest)))
        if repository not in self.images:
            return ImagePresence.NO_REPOSITORY
        return ImagePresence.PRESENT if digest in self.images[repository] else ImagePresence.MISSING


class InMemoryParameters:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        self.calls.append(("get_parameter", (name,)))
        return self.values.get(name)

    def put(self, name: str, value: str) -> None:
        self.calls.append(("put_parameter", (name, value)))
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.calls.append(("delete_parameter", (name,)))
        self.values.pop(name, None)


class InMemoryTemplates:
    """The template bucket: objects by the https URL `put` returns."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.objects: dict[str, str] = {}

    def put(self, bucket: str, stack: str, template: str) -> str:
        self.calls.append(("put_object", (bucket, stack)))
        url = f"https://{bucket}.s3.us-east-1.amazonaws.com/{stack}/{len(self.objects)}.json"
        self.objects[url] = template
        return url


class InMemoryLogs:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.groups: dict[str, list[LogEvent]] = {}
        self.streams: dict[tuple[str, str], list[LogEvent]] = {}

    def events(self, group: str, start_ms: int) -> Iterator[LogEvent]:
        self.calls.append(("filter_log_events", (group, start_ms)))
        for event in sorted(self.groups.get(group, []), key=lambda e: e.timestamp_ms):
            if event.timestamp_ms >= start_ms:
                yield event

    def add(self, group: str, timestamp_ms: int, message: str) -> None:
        events = self.groups.setdefault(group, [])
        events.append(LogEvent(f"{group}#{len(events)}", timestamp_ms, "stream", message))

    # -- one stream read forward, as GetLogEvents does: the token is the count read so far
    def page(self, group: str, stream: str, token: str | None) -> tuple[list[LogEvent], str | None]:
        self.calls.append(("get_log_events", (group, stream, token)))
        if (group, stream) not in self.streams:
            return [], token
        events = self.streams[(group, stream)]
        start = int(token) if token is not None else 0
        return events[start:], str(len(events))

    def write(self, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        self.streams.setdefault((group, stream), []).append(
            LogEvent("", timestamp_ms, stream, message)
        )


@dataclass
class TaskScript:
    """How the next one-off task goes: a status per DescribeTasks, the lines its container has
    written by each of them, lines CloudWatch gets only after it stopped, and how it ends."""

    statuses: tuple[str, ...] = ("PROVISIONING", "PENDING", "RUNNING", "RUNNING", "STOPPED")
    lines: Mapping[int, Sequence[str]] = field(default_factory=dict)  # describe index -> lines
    late: Sequence[str] = ()  # appear at the second sleep after the task stopped
    exit_code: int | None = 0
    stop_code: str = "EssentialContainerExited"
    reason: str = ""
    refused: Sequence[str] = ()  # RunTask starts nothing, for these reasons
    forgotten: bool = False  # DescribeTasks does not know it


class InMemoryTasks:
    def __init__(self, calls: Calls, logs: InMemoryLogs, clock: ManualClock) -> None:
        self.calls = calls
        self.logs = logs
        self.clock = clock
        self.script = TaskScript()
        self.started: list[RunRequest] = []
        self._describes = 0

    def run(self, request: RunRequest) -> str:
        self.calls.append(("run_task", (request.cluster, request.family, request.command)))
        if self.script.refused:
            raise TaskNotStarted(request.family, self.script.refused)
        self.started.append(request)
        return f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/{request.cluster}/{TASK_ID}"

    def describe(self, cluster: str, task: str, container: str) -> TaskState | None:
        self.calls.append(("describe_tasks", (cluster, task)))
        script = self.script
        if script.forgotten:
            return None
        index = min(self._describes, len(script.statuses) - 1)
        self._describes += 1
        for message in script.lines.get(index, ()):
            self.write(message)
        status = script.statuses[index]
        if status != "STOPPED":
            return TaskState(task, status)
        if script.late and index == len(script.statuses) - 1 and self._describes == index + 1:
            self._after_stop(2, list(script.late))
        return TaskState(
            task,
            "STOPPED",
            exit_code=script.exit_code,
            stop_code=script.stop_code,
            stopped_reason=script.reason,
            container_reason=script.reason if script.exit_code is None else "",
        )

    def write(self, message: str) -> None:
        self.logs.write(RUN_GROUP, f"run/run/{TASK_ID}", int(self.clock.now() * 1000), message)

    def _after_stop(self, sleeps: int, lines: list[str]) -> None:
        left = [sleeps]

        def arrive() -> None:
            left[0] -= 1
            if left[0] == 0:
                for message in lines:
                    self.write(message)

        self.clock.on_sleep.append(arrive)


class World:
    """One account: stacks, ECS, ECR, SSM and logs that know about each other."""

    def __init__(self, *, services: Sequence[str] = ("web", "worker"), app: str = "shop") -> None:
        self.app = app
        self.service_names = tuple(services)
        self.calls: Calls = []
        self.clock = ManualClock(1_700_000_000.0, min_sleep=0.001)
        self.templates = InMemoryTemplates(self.calls)
        self.stacks = InMemoryStacks(self.calls, self._applied, self.templates.objects)
        self.services = InMemoryServices(self.calls)
        self.registry = InMemoryRegistry(self.calls)
        self.parameters = InMemoryParameters(self.calls)
        self.logs = InMemoryLogs(self.calls)
        self.tasks = InMemoryTasks(self.calls, self.logs, self.clock)
        self.aws = AwsApis(
            self.stacks,
            self.services,
            self.logs,
            self.registry,
            self.parameters,
            self.templates,
            self.tasks,
        )

    def push(self, digest: str, services: Sequence[str] | None = None) -> None:
        for service in self.service_names if services is None else services:
            self.registry.images.setdefault(f"launchdeck/{self.app}/{service}", set()).add(digest)

    def running(self, env: str, service: str) -> str:
        prefix = f"{self.app}-{env}"
        return self.services.services[(prefix, f"{prefix}-{service}")].task_definition

    def _applied(self, stack: str, parameters: Mapping[str, str]) -> None:
        """CloudFormation registers a revision per service for a new ImageDigest and rolls."""
        if stack == f"launchdeck-{self.app}":  # the shared stack makes a repository per service
            for service in self.service_names:
                self.registry.images.setdefault(f"launchdeck/{self.app}/{service}", set())
        env = stack.removeprefix(f"launchdeck-{self.app}-")
        if env == stack or "ImageDigest" not in parameters:
            return
        prefix = f"{self.app}-{env}"
        for service in self.service_names:
            name = f"{prefix}-{service}"
            self.services.roll(prefix, name, self.services.register(name))
