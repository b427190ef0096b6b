"""InMemoryStacks: CloudFormation's change sets and events, played one step per look."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from launchdeck.drivers.aws.clients import (
    ChangeSet,
    ChangeSetRequest,
    ResourceChange,
    Stack,
    StackEvent,
)
from launchdeck.drivers.aws.clients.stacks import MAX_TEMPLATE_BODY

Calls = list[tuple[str, tuple[object, ...]]]
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to create "
    "a change set."
)


@dataclass
class _Stack:
    name: str
    status: str = "REVIEW_IN_PROGRESS"
    template: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    events: list[StackEvent] = field(default_factory=list)  # oldest first
    steps: list[tuple[StackEvent | None, str]] = field(default_factory=list)  # to play


@dataclass
class _ChangeSet:
    id: str
    stack: str
    create: bool
    template: str
    parameters: dict[str, str]
    status: str
    reason: str
    changes: tuple[ResourceChange, ...]
    polls_left: int = 1  # describe calls before it is ready


@dataclass(frozen=True)
class ScriptedFailure:
    logical_id: str
    resource_type: str
    reason: str
    cancelled: str = ""  # another resource whose update gets cancelled by the failure


class InMemoryStacks:
    def __init__(
        self,
        calls: Calls,
        on_applied: Callable[[str, Mapping[str, str]], None],
        bucket: Mapping[str, str] | None = None,
    ) -> None:
        self.calls = calls
        self.bucket = bucket if bucket is not None else {}  # template URL -> template
        self.on_applied = on_applied
        self.stacks: dict[str, _Stack] = {}
        self.change_sets: dict[str, _ChangeSet] = {}
        self.failures: dict[str, ScriptedFailure] = {}  # stack -> how its next execution fails
        self._ids = 0

    # -- the StackApi
    def describe(self, name: str) -> Stack | None:
        self.calls.append(("describe_stack", (name,)))
        stack = self.stacks.get(name)
        if stack is None:
            return None
        if stack.steps:  # each look at a stack moves its execution one step on
            event, status = stack.steps.pop(0)
            if event is not None:
                stack.events.append(event)
            stack.status = status
        return Stack(
            stack.name, f"arn:{name}", stack.status, "", dict(stack.parameters), dict(stack.outputs)
        )

    def create_change_set(self, request: ChangeSetRequest) -> str:
        stack, template, create = request.stack, request.template, request.create
        if request.template_url:  # CloudFormation reads it from S3
            template = self.bucket[request.template_url]
        else:  # as CloudFormation refuses a bigger TemplateBody
            assert len(template.encode()) <= MAX_TEMPLATE_BODY, "too big to send inline"
        parameters, keep = request.parameters, request.keep
        self.calls.append(("create_change_set", (stack, create, dict(parameters), tuple(keep))))
        current = self.stacks.get(stack)
        assert create == (current is None or current.status == "REVIEW_IN_PROGRESS"), "type"
        if current is None:
            current = self.stacks[stack] = _Stack(stack)
        declared = set(json.loads(template).get("Parameters", {}))
        assert set(keep) <= declared & set(current.parameters), f"keep {keep} is not kept"
        values = {**{k: current.parameters[k] for k in keep}, **parameters}
        changes = _diff(current.template, template, current.parameters, values)
        self._ids += 1
        cs_id = f"arn:aws:cloudformation:changeSet/{request.name}/{self._ids}"
        empty = current.template == template and current.parameters == values
        self.change_sets[cs_id] = _ChangeSet(
            cs_id,
            stack,
            create,
            template,
            values,
            "FAILED" if empty else "CREATE_COMPLETE",
            NO_CHANGES if empty else "",
            changes,
        )
        return cs_id

    def change_set(self, change_set_id: str) -> ChangeSet:
        self.calls.append(("describe_change_set", (change_set_id,)))
        cs = self.change_sets[change_set_id]
        status = "CREATE_IN_PROGRESS" if cs.polls_left > 0 else cs.status
        cs.polls_left -= 1
        return ChangeSet(
            cs.id,
            cs.stack,
            status,
            "AVAILABLE",
            cs.reason if status == cs.status else "",
            cs.changes,
        )

    def execute(self, change_set_id: str) -> None:
        self.calls.append(("execute_change_set", (change_set_id,)))
        cs = self.change_sets.pop(change_set_id)
        assert cs.status == "CREATE_COMPLETE"
        stack = self.stacks[cs.stack]
        failure = self.failures.pop(cs.stack, None)
        stack.steps = _play(stack, cs, failure, len(stack.events))
        if failure is None:
            stack.template, stack.parameters = cs.template, cs.parameters
            stack.outputs = {k: v["Value"] for k, v in json.loads(cs.template)["Outputs"].items()}
            self.on_applied(cs.stack, cs.parameters)

    def delete_change_set(self, change_set_id: str) -> None:
        self.calls.append(("delete_change_set", (change_set_id,)))
        cs = self.change_sets.pop(change_set_id)
        stack = self.stacks[cs.stack]
        if stack.status == "REVIEW_IN_PROGRESS" and not stack.events:
            del self.stacks[cs.stack]  # a declined first change set leaves no stack behind

    def events_after(self, stack: str, after: str | None) -> tuple[StackEvent, ...]:
        self.calls.append(("events_after", (stack, after)))
        events = self.stacks[stack].events
        ids = [e.id for e in events]
        return tuple(events[ids.index(after) + 1 :] if after in ids else events)

    def latest_event_id(self, stack: str) -> str | None:
        self.calls.append(("latest_event_id", (stack,)))
        events = self.stacks[stack].events
        return events[-1].id if events else None

    # -- test helpers
    def put(self, name: str, status: str, parameters: Mapping[str, str] | None = None) -> None:
        self.stacks[name] = _Stack(name, status, "{}", dict(parameters or {}))

    def executed(self) -> list[str]:
        return [str(args[0]) for name, args in self.calls if name == "execute_change_set"]


def _diff(
    old: str, new: str, old_values: Mapping[str, str], new_values: Mapping[str, str]
) -> tuple[ResourceChange, ...]:
    before = json.loads(old).get("Resources", {}) if old else {}
    after = json.loads(new)["Resources"]
    changed = {k for k in new_values if old_values.get(k) != new_values[k]}
    found = []
    for logical, body in after.items():
        if logical not in before:
            found.append(ResourceChange("Add", logical, body["Type"]))
        elif body != before[logical] or any(f'"Ref": "{p}"' in json.dumps(body) for p in changed):
            found.append(ResourceChange("Modify", logical, body["Type"], "False"))
    found += [ResourceChange("Remove", k, v["Type"]) for k, v in before.items() if k not in after]
    return tuple(found)


def _play(
    stack: _Stack, cs: _ChangeSet, failure: ScriptedFailure | None, n: int
) -> list[tuple[StackEvent | None, str]]:
    verb = "CREATE" if cs.create else "UPDATE"
    counter = iter(range(n + 1, n + 100))

    def event(logical: str, kind: str, status: str, reason: str = "") -> StackEvent:
        at = datetime(2024, 1, 1, tzinfo=UTC)
        return StackEvent(f"e{next(counter)}", at, logical, kind, status, reason)

    own = f"{verb}_IN_PROGRESS"
    steps: list[tuple[StackEvent | None, str]] = [
        (event(stack.name, "AWS::CloudFormation::Stack", own), own)
    ]
    for change in cs.changes:
        steps.append((event(change.logical_id, change.resource_type, own), own))
        if failure and change.logical_id == failure.logical_id:
            return steps + _failing(stack.name, verb, failure, event)
        steps.append((event(change.logical_id, change.resource_type, f"{verb}_COMPLETE"), own))
    done = f"{verb}_COMPLETE"
    return [*steps, (event(stack.name, "AWS::CloudFormation::Stack", done), done)]


def _failing(
    name: str, verb: str, failure: ScriptedFailure, event: Callable[..., StackEvent]
) -> list[tuple[StackEvent | None, str]]:
    rolling = "ROLLBACK_IN_PROGRESS" if verb == "CREATE" else "UPDATE_ROLLBACK_IN_PROGRESS"
    final = "ROLLBACK_COMPLETE" if verb == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
    stack_type = "AWS::CloudFormation::Stack"
    steps = [
        (
            event(failure.logical_id, failure.resource_type, f"{verb}_FAILED", failure.reason),
            f"{verb}_IN_PROGRESS",
        )
    ]
    if failure.cancelled:
        cancelled = f"Resource {verb.lower()} cancelled"
        steps.append(
            (
                event(failure.cancelled, "AWS::ECS::Service", f"{verb}_FAILED", cancelled),
                f"{verb}_IN_PROGRESS",
            )
        )
    why = f"The following resource(s) failed to {verb.lower()}: [{failure.logical_id}]."
    steps.append((event(name, stack_type, rolling, why), rolling))
    steps.append((event(name, stack_type, final), final))
    return steps
