"""Message queues the app's services share: `[queues.<name>]`.

On one host the Redis add-on is the queue (examples/queue) and these settings have no effect;
on AWS each becomes an SQS queue with its own dead-letter queue.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_VISIBILITY_TIMEOUT = 30.0  # seconds a received message stays hidden from other consumers
DEFAULT_MAX_RECEIVES = 5  # receives before a message moves to the dead-letter queue
DEFAULT_RETENTION = 4 * 24 * 3600.0  # seconds a message is kept when nobody deletes it


@dataclass(frozen=True)
class QueueSpec:
    name: str
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
    max_receives: int = DEFAULT_MAX_RECEIVES
    retention: float = DEFAULT_RETENTION
