"""Logs: the services' CloudWatch log lines, merged in time order; with follow, new ones as they
arrive, polling on the clock passed in."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from launchdeck.awsdeploy.layout import deployed, layout
from launchdeck.awsdeploy.model import LogLine
from launchdeck.awsdeploy.ports import AwsApis, LogApi
from launchdeck.system.clock import SYSTEM_CLOCK, Clock


def logs(
    aws: AwsApis,
    app: str,
    env: str,
    services: Sequence[str],
    *,
    since: timedelta = timedelta(hours=1),
    follow: bool = False,
    clock: Clock = SYSTEM_CLOCK,
    poll: float = 2.0,
) -> Iterator[LogLine]:
    """Lines of `services` from `since` ago; with `follow`, runs until the caller stops."""
    stack = deployed(aws.stacks, app, env)
    groups = {lay.service: lay.log_group for lay in layout(stack, services).services.values()}
    start_ms = int((clock.now() - since.total_seconds()) * 1000)
    tails = {service: GroupTail(aws.logs, group, start_ms) for service, group in groups.items()}
    while True:
        batch = [(line, service) for service, tail in tails.items() for line in tail.fresh()]
        batch.sort(key=lambda pair: (pair[0][0], pair[1]))
        for (timestamp_ms, message), service in batch:
            yield LogLine(datetime.fromtimestamp(timestamp_ms / 1000, UTC), service, message)
        if not follow:
            return
        clock.sleep(poll)


class GroupTail:
    """One log group read again and again from where it got to. The API has no "after this
    event", so each read starts at the newest timestamp seen and skips the ids already given."""

    def __init__(self, logs: LogApi, group: str, start_ms: int) -> None:
        self._logs = logs
        self._group = group
        self._start_ms = start_ms
        self._seen_at_start: set[str] = set()

    def fresh(self) -> list[tuple[int, str]]:
        found = []
        for event in self._logs.events(self._group, self._start_ms):
            if event.id in self._seen_at_start:
                continue
            if event.timestamp_ms > self._start_ms:
                self._start_ms, self._seen_at_start = event.timestamp_ms, set()
            if event.timestamp_ms == self._start_ms:
                self._seen_at_start.add(event.id)
            found.append((event.timestamp_ms, event.message))
        return found
