"""Promote: deploy to one environment the exact digest another one runs. Nothing is rebuilt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from launchdeck.awsdeploy.deploy import deploy
from launchdeck.awsdeploy.layout import deployed
from launchdeck.awsdeploy.model import DeployOptions, DeployResult
from launchdeck.awsdeploy.ports import AwsApis
from launchdeck.awsdeploy.record import read_record
from launchdeck.drivers.aws.errors import (
    InvalidRequest,
    NoImageDeployed,
    SourceRolledBack,
    StackBusy,
)
from launchdeck.drivers.aws.images import DIGEST, ImageRef
from launchdeck.drivers.aws.names import IMAGE_PARAMETER

NEVER_CREATED = frozenset(
    {"REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"}
)


def promote(
    aws: AwsApis,
    app: str,
    from_env: str,
    to_env: str,
    services: Sequence[str],
    shared_template: str,
    env_template: str,
    **options: Unpack[DeployOptions],
) -> DeployResult:
    """`env_template` is the target environment's template; `options` as for deploy."""
    digest = running_digest(aws, app, from_env, to_env)
    image = ImageRef(digest)
    return deploy(aws, app, to_env, services, shared_template, env_template, image, **options)


def running_digest(aws: AwsApis, app: str, from_env: str, to_env: str) -> str:
    """The digest `from_env` runs, read from its stack; refused while that is uncertain."""
    if from_env == to_env:
        raise InvalidRequest(
            f"promote --from and --to are both {from_env!r}", "name two environments"
        )
    source = deployed(aws.stacks, app, from_env)
    if source.busy:
        raise StackBusy(source.name, source.status)
    if source.status in NEVER_CREATED:
        raise NoImageDeployed(source.name, source.status)
    digest = source.parameters.get(IMAGE_PARAMETER, "")
    if not DIGEST.fullmatch(digest):
        raise NoImageDeployed(source.name)
    record = read_record(aws.parameters, app, from_env)
    if record is not None:
        raise SourceRolledBack(from_env, sorted(record.services) or ["its services"])
    return digest
