"""`Stacks`: CloudFormation as launchdeck uses it — stacks, change sets, events."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from launchdeck.drivers.aws.clients._calls import calling, error_code, error_message, pages
from launchdeck.drivers.aws.errors import InvalidTemplate

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.client import CloudFormationClient

SERVICE = "cloudformation"
CAPABILITIES: tuple[Literal["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"], ...] = (
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
)
MAX_TEMPLATE_BODY = 51_200  # bytes CloudFormation takes inline; larger ones must go through S3
MAX_TEMPLATE_URL_BODY = 1_000_000  # bytes it reads from S3
SUCCEEDED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
# Cascades of the real failure, never its cause.
CANCELLED = ("Resource creation cancelled", "Resource update cancelled")
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


@dataclass(frozen=True)
class Stack:
    name: str
    id: str
    status: str
    status_reason: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, str] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        return self.status.endswith("_IN_PROGRESS") and self.status != "REVIEW_IN_PROGRESS"

    @property
    def created(self) -> bool:
        """False while only a CREATE change set made it (REVIEW_IN_PROGRESS)."""
        return self.status != "REVIEW_IN_PROGRESS"


@dataclass(frozen=True)
class StackEvent:
    id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED") and not self.reason.startswith(CANCELLED)

    def __str__(self) -> str:
        reason = f" ({self.reason})" if self.reason else ""
        return f"{self.logical_id} {self.resource_type} {self.status}{reason}"


@dataclass(frozen=True)
class ResourceChange:
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str = ""  # True | False | Conditional; empty for Add/Remove


@dataclass(frozen=True)
class ChangeSetRequest:
    """A change set to make: `create` for a stack that does not exist yet; `keep` names
    parameters that keep their current value; `template_url`, where `template` was put in S3
    when it is too big to send inline (see Templates)."""

    stack: str
    name: str
    template: str
    create: bool
    template_url: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    keep: Collection[str] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeSet:
    id: str
    stack: str
    status: str  # CREATE_PENDING | CREATE_IN_PROGRESS | CREATE_COMPLETE | FAILED | ...
    execution_status: str = ""
    reason: str = ""
    changes: tuple[ResourceChange, ...] = ()

    @property
    def ready(self) -> bool:
        return self.status in ("CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE", "DELETE_FAILED")

    @property
    def empty(self) -> bool:
        """CloudFormation fails a change set that changes nothing; that is a no-op, not an error."""
        return self.status == "FAILED" and _no_changes(self.reason)


def _no_changes(reason: str) -> bool:
    return any(text in reason for text in NO_CHANGES)


def first_failure(events: Iterable[StackEvent]) -> StackEvent | None:
    """The event that caused a failed update (in time order), skipping the cancellations."""
    return next((event for event in events if event.failed), None)


def is_terminal(status: str) -> bool:
    return not status.endswith("_IN_PROGRESS")


class Stacks:
    def __init__(self, client: CloudFormationClient) -> None:
        self._cf = client

    def describe(self, name: str) -> Stack | None:
        with calling(SERVICE, "DescribeStacks"):
            try:
                found = self._cf.describe_stacks(StackName=name)["Stacks"]
            except ClientError as exc:
                if error_code(exc) == "ValidationError" and "does not exist" in error_message(exc):
                    return None
                raise
        return _stack(found[0]) if found else None

    def exists(self, name: str) -> bool:
        return self.describe(name) is not None

    def create_change_set(self, request: ChangeSetRequest) -> str | None:
        """The new change set's id, or None when CloudFormation says at once that nothing would
        change (it may also say so later, as a FAILED change set: see ChangeSet.empty)."""
        size = len(request.template.encode())
        if size > MAX_TEMPLATE_BODY and not request.template_url:
            raise InvalidTemplate(
                f"the template for {request.stack} is {size} bytes; CloudFormation takes at most "
                f"{MAX_TEMPLATE_BODY} inline",
                "split services into fewer resources or shorten it",
            )
        values: list[Any] = [
            {"ParameterKey": k, "ParameterValue": v} for k, v in request.parameters.items()
        ]
        values += [{"ParameterKey": k, "UsePreviousValue": True} for k in request.keep]
        with calling(SERVICE, "CreateChangeSet"):
            try:
                source: dict[str, str] = (
                    {"TemplateURL": request.template_url}
                    if request.template_url
                    else {"TemplateBody": request.template}
                )
                created = self._cf.create_change_set(
                    StackName=request.stack,
                    ChangeSetName=request.name,
                    **source,  # type: ignore[arg-type]
                    ChangeSetType="CREATE" if request.create else "UPDATE",
                    Capabilities=list(CAPABILITIES),
                    Parameters=values,
                    Tags=[{"Key": k, "Value": v} for k, v in request.tags.items()],
                )
            except ClientError as exc:
                if error_code(exc) == "ValidationError" and _no_changes(error_message(exc)):
                    return None
                raise
        return created["Id"]

    def change_set(self, change_set_id: str) -> ChangeSet:
        changes: list[ResourceChange] = []
        paginator = self._cf.get_paginator("describe_change_set")
        for page in pages(
            SERVICE, "DescribeChangeSet", paginator.paginate(ChangeSetName=change_set_id)
        ):
            changes += _changes(page.get("Changes", []))
        return ChangeSet(
            id=page.get("ChangeSetId", change_set_id),
            stack=page.get("StackName", ""),
            status=page.get("Status", ""),
            execution_status=page.get("ExecutionStatus", ""),
            reason=page.get("StatusReason", ""),
            changes=tuple(changes),
        )

    def execute(self, change_set_id: str) -> None:
        with calling(SERVICE, "ExecuteChangeSet"):
            self._cf.execute_change_set(ChangeSetName=change_set_id)

    def delete_change_set(self, change_set_id: str) -> None:
        with calling(SERVICE, "DeleteChangeSet"):
            self._cf.delete_change_set(ChangeSetName=change_set_id)

    def events_after(self, stack: str, after: str | None) -> tuple[StackEvent, ...]:
        """Events newer than the one with id `after` (all when None), oldest first. The API
        pages newest first, so reading stops at `after`."""
        newest_first: list[StackEvent] = []
        paginator = self._cf.get_paginator("describe_stack_events")
        for page in pages(SERVICE, "DescribeStackEvents", paginator.paginate(StackName=stack)):
            for raw in page.get("StackEvents", []):
                if raw["EventId"] == after:
                    return tuple(reversed(newest_first))
                newest_first.append(_event(raw))
        return tuple(reversed(newest_first))

    def latest_event_id(self, stack: str) -> str | None:
        with calling(SERVICE, "DescribeStackEvents"):
            events = self._cf.describe_stack_events(StackName=stack).get("StackEvents", [])
        return events[0]["EventId"] if events else None

    def failure(self, stack: str, after: str | None) -> StackEvent | None:
        """The first *_FAILED event since `after` that is not a cancellation."""
        return first_failure(self.events_after(stack, after))


def _stack(raw: Any) -> Stack:
    return Stack(
        name=raw["StackName"],
        id=raw.get("StackId", ""),
        status=raw["StackStatus"],
        status_reason=raw.get("StackStatusReason", ""),
        parameters={
            p["ParameterKey"]: p.get("ParameterValue", "") for p in raw.get("Parameters", [])
        },
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in raw.get("Outputs", [])},
    )


def _changes(raw: Sequence[Any]) -> list[ResourceChange]:
    return [
        ResourceChange(
            action=change.get("Action", ""),
            logical_id=change.get("LogicalResourceId", ""),
            resource_type=change.get("ResourceType", ""),
            replacement=change.get("Replacement", ""),
        )
        for item in raw
        if (change := item.get("ResourceChange"))
    ]


def _event(raw: Any) -> StackEvent:
    return StackEvent(
        id=raw["EventId"],
        timestamp=raw["Timestamp"],
        logical_id=raw.get("LogicalResourceId", ""),
        resource_type=raw.get("ResourceType", ""),
        status=raw.get("ResourceStatus", ""),
        reason=raw.get("ResourceStatusReason", ""),
    )
