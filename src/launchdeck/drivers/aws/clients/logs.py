"""`Logs`: CloudWatch Logs events of one log group, page after page, or of one stream from
where a reader got to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from launchdeck.drivers.aws.clients._calls import calling, pages

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

    def page(self, group: str, stream: str, token: str | None) -> tuple[list[LogEvent], str | None]:
        """The events of `stream` after `token` (from its start without one), and the token to
        read on from: the same one at the end of the stream, or before the stream exists."""
        with calling(SERVICE, "GetLogEvents"):
            try:
                if token is None:
                    answer = self._logs.get_log_events(
                        logGroupName=group, logStreamName=stream, startFromHead=True
                    )
                else:
                    answer = self._logs.get_log_events(
                        logGroupName=group,
                        logStreamName=stream,
                        startFromHead=True,
                        nextToken=token,
                    )
            except self._logs.exceptions.ResourceNotFoundException:
                return [], token  # the task has not written its first line yet
        events = [
            LogEvent(
                id="",  # GetLogEvents gives none: the token keeps the place instead
                timestamp_ms=raw.get("timestamp", 0),
                stream=stream,
                message=raw.get("message", "").rstrip("\n"),
            )
            for raw in answer.get("events", [])
        ]
        return events, answer.get("nextForwardToken", token)
