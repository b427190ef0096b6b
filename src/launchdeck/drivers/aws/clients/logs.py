"""`Logs`: CloudWatch Logs events of one log group, page after page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from launchdeck.drivers.aws.clients._calls import pages

if TYPE_CHECKING:
    from mypy_boto3_logs.client import CloudWatchLogsClient

SERVICE = "logs"


@dataclass(frozen=True)
class LogEvent:
    id: str
    timestamp_ms: int
    stream: str
    message: str


class Logs:
    def __init__(self, client: CloudWatchLogsClient) -> None:
        self._logs = client

    def events(self, group: str, start_ms: int) -> Iterator[LogEvent]:
        """Every event of `group` at or after `start_ms`, following nextToken to the end."""
        paginator = self._logs.get_paginator("filter_log_events")
        request = paginator.paginate(logGroupName=group, startTime=start_ms)
        for page in pages(SERVICE, "FilterLogEvents", request):
            for raw in page.get("events", []):
                yield LogEvent(
                    id=raw.get("eventId", ""),
                    timestamp_ms=raw.get("timestamp", 0),
                    stream=raw.get("logStreamName", ""),
                    message=raw.get("message", "").rstrip("\n"),
                )
