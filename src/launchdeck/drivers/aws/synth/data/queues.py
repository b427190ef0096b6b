"""`[queues.<name>]` on AWS: an SQS queue each, with its own dead-letter queue (a message
received `max_receives` times goes there), both encrypted by SQS (SSE-SQS). Every container gets
the queue's URL as `QUEUE_<NAME>_URL`, and every task role may send, receive, delete and
change the visibility of messages of these queues, and of no other."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from troposphere import GetAtt, Ref, Template, sqs

from launchdeck.domain.queues import QueueSpec
from launchdeck.drivers.aws.names import queue_variable, title
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.iam import statement

DEAD_LETTER_RETENTION = 14 * 24 * 3600  # SQS's longest: a dead letter keeps its first enqueue
QUEUE_ACTIONS = [
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
]


@dataclass(frozen=True)
class Queues:
    queues: dict[str, Any] = field(default_factory=dict)  # name -> AWS::SQS::Queue
    dead_letters: dict[str, Any] = field(default_factory=dict)  # name -> its dead-letter queue

    @property
    def environment(self) -> dict[str, Any]:
        return {queue_variable(name): Ref(queue) for name, queue in self.queues.items()}

    @property
    def task_policy(self) -> list[dict[str, Any]]:
        if not self.queues:
            return []
        return [statement(QUEUE_ACTIONS, [GetAtt(q, "Arn") for q in self.queues.values()])]


def queues(t: Template, env: Env) -> Queues:
    found = Queues()
    for spec in env.manifest.queues.values():
        dead = t.add_resource(
            sqs.Queue(
                f"{queue_id(spec.name)}DeadLetters",
                MessageRetentionPeriod=DEAD_LETTER_RETENTION,
                SqsManagedSseEnabled=True,
            )
        )
        found.dead_letters[spec.name] = dead
        found.queues[spec.name] = t.add_resource(_queue(spec, dead))
    return found


def queue_id(name: str) -> str:
    """The start of a queue's logical ids: `emails` -> `QueueEmails`."""
    return f"Queue{title(name)}"


def _queue(spec: QueueSpec, dead: Any) -> Any:
    return sqs.Queue(
        queue_id(spec.name),
        VisibilityTimeout=math.ceil(spec.visibility_timeout),
        MessageRetentionPeriod=math.ceil(spec.retention),
        SqsManagedSseEnabled=True,
        RedrivePolicy=sqs.RedrivePolicy(
            deadLetterTargetArn=GetAtt(dead, "Arn"), maxReceiveCount=spec.max_receives
        ),
    )
