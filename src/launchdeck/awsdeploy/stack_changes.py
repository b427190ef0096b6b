"""Change one stack through a change set: create it, show it, ask, execute, follow its events.

A template over CloudFormation's inline limit goes to the app's template bucket first (the
shared stack makes it) and the change set reads it from there. An empty change set is a no-op;
a declined one is deleted; a failed update raises with the resource that caused it, not the
cancellations that followed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from launchdeck.awsdeploy.model import (
    ChangeSetSummary,
    DeployEvent,
    Outcome,
    Phase,
    StackProgress,
    Waits,
)
from launchdeck.awsdeploy.polling import watch
from launchdeck.awsdeploy.ports import StackApi, TemplateApi
from launchdeck.drivers.aws.clients import (
    ChangeSet,
    ChangeSetRequest,
    Stack,
    StackEvent,
    first_failure,
    is_terminal,
)
from launchdeck.drivers.aws.clients.stacks import MAX_TEMPLATE_BODY, SUCCEEDED
from launchdeck.drivers.aws.errors import (
    ChangeSetFailed,
    InvalidTemplate,
    StackBusy,
    StackStuck,
    StackUpdateFailed,
    TimedOut,
)
from launchdeck.system.clock import Clock

Confirm = Callable[[ChangeSetSummary], bool]
OnEvent = Callable[[DeployEvent], None]

_NEVER_CREATED = (
    "its first creation failed and left nothing running",
    "delete it (aws cloudformation delete-stack --stack-name {stack}) and deploy again",
)
STUCK = {  # status: (why, fix)
    "ROLLBACK_COMPLETE": _NEVER_CREATED,
    "ROLLBACK_FAILED": _NEVER_CREATED,
    "CREATE_FAILED": _NEVER_CREATED,
    "DELETE_FAILED": (
        "a delete half-failed",
        "finish it (aws cloudformation delete-stack --stack-name {stack}) and deploy again",
    ),
    "UPDATE_ROLLBACK_FAILED": (
        "",
        "finish the rollback (aws cloudformation continue-update-rollback --stack-name {stack}) "
        "and deploy again",
    ),
}
SYNTH_AGAIN = "synthesize it again (launchdeck aws synth)"


def template_parameters(template: str, what: str) -> frozenset[str]:
    """The parameter names a template declares; InvalidTemplate when it is not a JSON object."""
    try:
        body = json.loads(template)
    except ValueError as exc:
        raise InvalidTemplate(f"the {what} template is not JSON ({exc})", SYNTH_AGAIN) from None
    if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
        raise InvalidTemplate(f"the {what} template has no Resources", SYNTH_AGAIN)
    return frozenset(body.get("Parameters") or {})


@dataclass(frozen=True)
class StackChange:
    stack: str
    template: str
    parameters: Mapping[str, str]
    tags: Mapping[str, str]
    template_bucket: str = ""  # where a template too big to send inline goes


class StackChanger:
    def __init__(
        self,
        stacks: StackApi,
        *,
        templates: TemplateApi | None = None,
        confirm: Confirm,
        on_event: OnEvent,
        clock: Clock,
        waits: Waits,
        yes: bool = False,
    ) -> None:
        self._stacks = stacks
        self._templates = templates
        self._confirm = confirm
        self._on_event = on_event
        self._clock = clock
        self._waits = waits
        self._yes = yes

    def apply(self, change: StackChange) -> Outcome:
        current = updatable(self._stacks.describe(change.stack), change.stack)
        creating = current is None or not current.created
        declared = template_parameters(change.template, change.stack)
        existing = current.parameters if current and not creating else {}
        keep = sorted((declared & set(existing)) - set(change.parameters))
        change_set = self._create(change, creating=creating, keep=keep)
        if change_set is None or change_set.empty:
            if change_set is not None:
                self._stacks.delete_change_set(change_set.id)
            self._on_event(Phase(f"stack {change.stack}: no changes"))
            return Outcome.UNCHANGED
        if change_set.status != "CREATE_COMPLETE":
            raise ChangeSetFailed(change.stack, change_set.reason or change_set.status)
        summary = ChangeSetSummary(
            stack=change.stack,
            creating=creating,
            changes=change_set.changes,
            parameters={
                k: (existing.get(k, ""), v)
                for k, v in change.parameters.items()
                if existing.get(k) != v
            },
        )
        if not self._yes and not self._confirmed(summary, change_set.id):
            self._stacks.delete_change_set(change_set.id)
            self._on_event(Phase(f"stack {change.stack}: declined, nothing changed"))
            return Outcome.DECLINED
        self._execute(change.stack, change_set.id)
        return Outcome.CHANGED

    def _confirmed(self, summary: ChangeSetSummary, change_set_id: str) -> bool:
        try:
            return self._confirm(summary)
        except BaseException:  # Ctrl-C at the prompt: leave no change set behind
            self._stacks.delete_change_set(change_set_id)
            raise

    def _create(self, change: StackChange, *, creating: bool, keep: list[str]) -> ChangeSet | None:
        name = change_set_name(self._clock.now())
        change_set_id = self._stacks.create_change_set(
            ChangeSetRequest(
                change.stack,
                name,
                change.template,
                create=creating,
                template_url=self._uploaded(change),
                parameters=change.parameters,
                keep=keep,
                tags=change.tags,
            )
        )
        if change_set_id is None:
            return None
        found, ready = watch(
            lambda: self._stacks.change_set(change_set_id),
            lambda change_set: change_set.ready,
            timeout=self._waits.change_set,
            interval=min(self._waits.poll, 2.0),
            clock=self._clock,
        )
        if not ready:
            what = f"change set {name} of {change.stack}"
            raise TimedOut(what, self._waits.change_set, found.status)
        return found

    def _uploaded(self, change: StackChange) -> str:
        """The template's URL in the template bucket, when it is too big to send inline ("":
        sent inline; without a bucket, the stack client refuses it with the limit)."""
        size = len(change.template.encode())
        if size <= MAX_TEMPLATE_BODY or not change.template_bucket or self._templates is None:
            return ""
        url = self._templates.put(change.template_bucket, change.stack, change.template)
        self._on_event(Phase(f"stack {change.stack}: template ({size} bytes) read from {url}"))
        return url

    def _execute(self, stack: str, change_set_id: str) -> None:
        since = self._stacks.latest_event_id(stack)
        self._stacks.execute(change_set_id)
        self._on_event(Phase(f"stack {stack}: executing the change set"))
        status, events = self._follow(stack, since)
        if status not in SUCCEEDED:
            cause = first_failure(events)
            raise StackUpdateFailed(
                stack,
                status,
                f"{cause.logical_id} ({cause.resource_type})" if cause else "",
                cause.reason if cause else status,
            )
        self._on_event(Phase(f"stack {stack}: {status}"))

    def _follow(self, stack: str, since: str | None) -> tuple[str, list[StackEvent]]:
        """Stream events until the stack settles; its final status and every event seen."""
        seen: list[StackEvent] = []

        def look() -> str:
            current = self._stacks.describe(stack)
            if current is None:  # deleted under us: nothing left to read events from
                return "DELETE_COMPLETE"
            fresh = self._stacks.events_after(stack, seen[-1].id if seen else since)
            for event in fresh:
                self._on_event(StackProgress(stack, event))
            seen.extend(fresh)
            return current.status

        waits = self._waits
        status, settled = watch(
            look, is_terminal, timeout=waits.stack, interval=waits.poll, clock=self._clock
        )
        if not settled:
            raise TimedOut(f"stack {stack}", waits.stack, status)
        return status, seen


def change_set_name(now: float) -> str:
    """Unique per stack to the millisecond, and says when it was made."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
    return f"launchdeck-{stamp}-{int(now % 1 * 1000):03d}"


def updatable(stack: Stack | None, name: str) -> Stack | None:
    """The stack, when a change set may go to it; StackBusy or StackStuck otherwise."""
    if stack is None:
        return None
    if stack.busy:
        raise StackBusy(name, stack.status)
    if stuck := STUCK.get(stack.status):
        why, fix = stuck
        raise StackStuck(name, stack.status, why=why, fix=fix.format(stack=name))
    return stack
