"""Error tracking: the events apps send with the Sentry SDKs, how they are grouped and triaged.

An app runs `sentry_sdk.init(dsn=...)` with a DSN pointing at the control plane; each error it
reports arrives as an `ErrorEvent`. Events with the same `group_key` are one issue (a group);
a group's figures over a window (`GroupStats`) and the `TriageRules` decide its `Priority`:

- P0: new in the current release and in more than `p0_request_share` of the window's requests,
  or seen on a path matching one of `critical_paths` (`*` matches anything, `/checkout*`);
- P1: a regression (resolved, then seen again in a later release), or more than
  `p1_events_per_hour` events in the last hour;
- P2: everything else.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_P0_REQUEST_SHARE = 0.01
DEFAULT_P1_EVENTS_PER_HOUR = 100


class Priority(enum.StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"


class GroupingBasis(enum.StrEnum):
    """What made an event's group: the SDK's fingerprint, its exceptions, or its message."""

    FINGERPRINT = "fingerprint"
    EXCEPTION = "exception"
    MESSAGE = "message"


@dataclass(frozen=True)
class Grouping:
    key: str  # a short hex digest: events with the same key are one group
    title: str  # `ZeroDivisionError: division by zero`, or the message
    culprit: str  # `module in function` of the last in-app frame; "" when there is none
    basis: GroupingBasis


@dataclass(frozen=True)
class ErrorEvent:
    """One error as an SDK reported it, reduced to what launchdeck stores and shows."""

    event_id: str  # 32 hex digits
    timestamp: float  # seconds since the epoch
    level: str  # fatal, error, warning, info, debug
    release: str | None  # the SDK's `release` string, as given
    environment: str | None
    platform: str
    message: str  # formatted; "" when the event has none
    exception_type: str | None  # of the outermost (last reported) exception
    exception_value: str | None
    frames: tuple[str, ...]  # `module in function`, the most recent call last
    path: str | None  # the request URL's path
    transaction: str | None
    user: str | None  # the user's id, else email, else IP address
    logger: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    group_key: str = ""
    title: str = ""
    culprit: str = ""


@dataclass(frozen=True)
class TriageRules:
    critical_paths: tuple[str, ...] = ()  # request paths, `*` matches any characters
    p0_request_share: float = DEFAULT_P0_REQUEST_SHARE  # a fraction: 0.01 is 1% of requests
    p1_events_per_hour: int = DEFAULT_P1_EVENTS_PER_HOUR


@dataclass(frozen=True)
class GroupStats:
    """A group's figures as the store sees them when an event arrives."""

    first_release: str | None  # the release the group was first seen in
    current_release: str | None  # the release the app runs now (the latest event's)
    is_regression: bool  # resolved earlier, seen again in a later release
    events_last_hour: int
    events_in_window: int
    requests_in_window: int  # all requests the app answered in the same window
    paths: tuple[str, ...] = ()  # request paths the group's events were seen on
    resolved_release: str | None = None  # the release it was resolved in, for the reason

    @property
    def is_new(self) -> bool:
        return self.first_release is not None and self.first_release == self.current_release

    @property
    def request_share(self) -> float | None:
        if self.requests_in_window <= 0:
            return None
        return self.events_in_window / self.requests_in_window
