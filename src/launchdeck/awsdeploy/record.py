"""The rollback record: a rollback changes ECS services behind CloudFormation's back, so it
leaves a note in SSM; the next deploy (by anyone) reads it and puts the stack's revisions back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from launchdeck.awsdeploy.ports import ParameterApi
from launchdeck.drivers.aws.names import rollback_record


@dataclass(frozen=True)
class RollbackRecord:
    at: float  # seconds since the epoch
    services: Mapping[str, str] = field(default_factory=dict)  # service -> task definition ARN

    def dumps(self) -> str:
        return json.dumps({"at": self.at, "services": dict(self.services)}, sort_keys=True)


def read_record(parameters: ParameterApi, app: str, env: str) -> RollbackRecord | None:
    text = parameters.get(rollback_record(app, env))
    if text is None:
        return None
    try:
        raw = json.loads(text)
        return RollbackRecord(at=float(raw["at"]), services=dict(raw["services"]))
    except (ValueError, KeyError, TypeError):
        return RollbackRecord(at=0.0)  # written by hand or by another version: still a rollback


def write_record(parameters: ParameterApi, app: str, env: str, record: RollbackRecord) -> None:
    parameters.put(rollback_record(app, env), record.dumps())


def clear_record(parameters: ParameterApi, app: str, env: str) -> None:
    parameters.delete(rollback_record(app, env))
