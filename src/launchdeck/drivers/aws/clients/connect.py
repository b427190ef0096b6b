"""Raw boto3 clients for one session and region, wrapped: the only place they are made."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.config import Config

from launchdeck.drivers.aws.clients.identity import Identity
from launchdeck.drivers.aws.clients.logs import Logs
from launchdeck.drivers.aws.clients.parameters import Parameters
from launchdeck.drivers.aws.clients.registry import Registry
from launchdeck.drivers.aws.clients.services import Services
from launchdeck.drivers.aws.clients.stacks import Stacks
from launchdeck.drivers.aws.clients.tasks import Tasks
from launchdeck.drivers.aws.clients.templates import Templates
from launchdeck.drivers.aws.credentials import AwsSession

# Adaptive retries ride out the throttling a deploy's polling can meet.
RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10})


@dataclass(frozen=True)
class AwsClients:
    stacks: Stacks
    services: Services
    logs: Logs
    registry: Registry
    parameters: Parameters
    identity: Identity
    templates: Templates
    tasks: Tasks


def connect(session: AwsSession, *, endpoint_url: str | None = None) -> AwsClients:
    """`endpoint_url` points every client at one endpoint (an emulator in tests)."""
    boto = boto3.Session(botocore_session=session.botocore, region_name=session.region)
    ecs = boto.client("ecs", endpoint_url=endpoint_url, config=RETRIES)
    return AwsClients(
        stacks=Stacks(boto.client("cloudformation", endpoint_url=endpoint_url, config=RETRIES)),
        services=Services(ecs),
        logs=Logs(boto.client("logs", endpoint_url=endpoint_url, config=RETRIES)),
        registry=Registry(boto.client("ecr", endpoint_url=endpoint_url, config=RETRIES)),
        parameters=Parameters(boto.client("ssm", endpoint_url=endpoint_url, config=RETRIES)),
        identity=Identity(boto.client("sts", endpoint_url=endpoint_url, config=RETRIES)),
        templates=Templates(boto.client("s3", endpoint_url=endpoint_url, config=RETRIES)),
        tasks=Tasks(ecs),
    )
