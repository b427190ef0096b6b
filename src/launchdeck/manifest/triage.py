"""`[errors]`: how error groups are triaged (P0/P1/P2) and which paths are critical. Part of the
schema (schema.py includes this table)."""

from __future__ import annotations

from pydantic import Field

from launchdeck.domain.errortracking import TriageRules
from launchdeck.manifest.table import Table
from launchdeck.manifest.values.fieldtypes import PathPattern, Percent

_RULES = TriageRules()


class ErrorsTable(Table):
    """Error triage. P0 (an incident, posted to the `[notify]` webhooks at once): a group new in
    the current release seen in more than `p0_request_share` of the last hour's requests, or on
    a critical path. P1 (an incident too): a regression, or more than `p1_events_per_hour`
    events in the last hour. Else P2."""

    critical_paths: list[PathPattern] = Field(
        default_factory=list,
        max_length=100,
        examples=[["/checkout*", "/api/pay"]],
        description="Request paths where any error is P0; `*` matches any characters.",
    )
    p0_request_share: Percent = Field(
        default=_RULES.p0_request_share * 100,
        examples=["1%"],
        description="A new group above this share of requests is P0.",
    )
    p1_events_per_hour: int = Field(
        default=_RULES.p1_events_per_hour,
        ge=1,
        examples=[100],
        description="A group above this many events in the last hour is P1.",
    )


def to_triage(table: ErrorsTable) -> TriageRules:
    return TriageRules(
        critical_paths=tuple(table.critical_paths),
        p0_request_share=table.p0_request_share / 100,
        p1_events_per_hour=table.p1_events_per_hour,
    )
