"""`Logs`: CloudWatch Logs events of one log group, page after page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from launchdeck.drivers.aws.clients._calls import calling

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
        token = ""
        while True:
            with calling(SERVICE, "FilterLogEvents"):
                page = (
                    self._logs.filter_log_events(
                        logGroupName=group, startTime=start_ms, nextToken=token
                    )
                    if token
                    else self._logs.filter_log_events(logGroupName=group, startTime=start_ms)
                )
            for raw in page.get("events", []):
                yield LogEvent(
                    id=raw.get("eventId", ""),
                    timestamp_ms=raw.get("timestamp", 0),
                    stream=raw.get("logStreamName", ""),
                    message=raw.get("message", "").rstrip("\n"),
                )
            token = page.get("nextToken", "")
            if not token:
                return
