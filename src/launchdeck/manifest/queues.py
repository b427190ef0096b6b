"""`[queues.<name>]`: message queues the app's services share. Part of the schema (schema.py
includes these tables); on AWS each is an SQS queue with a dead-letter queue (docs/aws.md)."""

from __future__ import annotations

from pydantic import Field

from launchdeck.domain.queues import (
    DEFAULT_MAX_RECEIVES,
    DEFAULT_RETENTION,
    DEFAULT_VISIBILITY_TIMEOUT,
    QueueSpec,
)
from launchdeck.manifest.table import Table
from launchdeck.manifest.values.fieldtypes import Duration

ONE_HOST = "No effect on one host (the Redis add-on is the queue there, see examples/queue)."


class QueueTable(Table):
    """A message queue the services share. On AWS: an SQS queue with its own dead-letter
    queue, its URL in every container as `QUEUE_<NAME>_URL` (`-` becomes `_`). On one host these
    keys have no effect yet: use the Redis add-on as the queue (see examples/queue)."""

    visibility_timeout: Duration = Field(
        default=DEFAULT_VISIBILITY_TIMEOUT,
        ge=0,
        examples=["5m"],
        description="How long a received message stays hidden from other consumers before it "
        f"is delivered again: longer than a job takes. {ONE_HOST}",
    )
    max_receives: int = Field(
        default=DEFAULT_MAX_RECEIVES,
        ge=1,
        examples=[3],
        description="Receives before a message moves to the dead-letter queue. " + ONE_HOST,
    )
    retention: Duration = Field(
        default=DEFAULT_RETENTION,
        gt=0,
        examples=["168h"],
        description="How long a message nobody deletes is kept. " + ONE_HOST,
    )


def to_queue(name: str, table: QueueTable) -> QueueSpec:
    return QueueSpec(
        name=name,
        visibility_timeout=table.visibility_timeout,
        max_receives=table.max_receives,
        retention=table.retention,
    )
