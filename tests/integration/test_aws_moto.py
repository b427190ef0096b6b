"""Smoke test: the real deploy path (credentials, boto3 clients, wrappers, use cases) against
moto's server on a free loopback port. moto is an emulator, so only what it keeps is asserted:
stack status, outputs, parameter values, what ECR and SSM hold."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import boto3
import httpx
import pytest

moto_server = pytest.importorskip("moto.server")
moto_cloudformation = pytest.importorskip("moto.cloudformation.models")

from launchdeck.awsdeploy import (  # noqa: E402
    AwsApis,
    DeployEvent,
    Outcome,
    Waits,
    deploy,
    logs,
    open_aws,
    status,
)
from launchdeck.drivers.aws.credentials import resolve_session  # noqa: E402
from launchdeck.drivers.aws.errors import ImageNotPushed  # noqa: E402

REGION = "us-east-1"
APP, ENV, SERVICES = "shop", "staging", ["web"]
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DIGEST_1 = "sha256:" + "1" * 64
DIGEST_2 = "sha256:" + "2" * 64
REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"

SHARED = {
    "Resources": {
        "WebRepository": {
            "Type": "AWS::ECR::Repository",
            "Properties": {"RepositoryName": "launchdeck/shop/web"},
        }
    }
}
ENVIRONMENT = {
    "Parameters": {"ImageDigest": {"Type": "String"}},
    "Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "shop-staging"}},
        "WebLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": "/launchdeck/shop-staging/web"},
        },
        "WebTaskDefinition": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "shop-staging-web",
                "ContainerDefinitions": [
                    {
                        "Name": "web",
                        "Image": {"Fn::Sub": f"{REGISTRY}/launchdeck/shop/web@${{ImageDigest}}"},
                        "Memory": 512,
                    }
                ],
            },
        },
        "WebService": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "ServiceName": "shop-staging-web",
                "Cluster": {"Ref": "Cluster"},
                "TaskDefinition": {"Ref": "WebTaskDefinition"},
                "DesiredCount": 1,
            },
        },
        "ImageRecord": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": "/launchdeck/shop/staging/image",
                "Type": "String",
                "Value": {"Ref": "ImageDigest"},
            },
        },
    },
    "Outputs": {
        "ClusterName": {"Value": {"Ref": "Cluster"}},
        "WebServiceName": {"Value": {"Fn::GetAtt": ["WebService", "Name"]}},
        "WebTaskFamily": {"Value": "shop-staging-web"},
        "WebLogGroup": {"Value": {"Ref": "WebLogGroup"}},
        "Url": {"Value": "https://shop-staging.example"},
    },
}


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # moto's server runs in this process, so these reach it:
    # - its ECS services report rolloutState COMPLETED once this many tasks "run";
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
    # - moto builds a stack's outputs when the stack object is made, which for a change set is
    #   before its template is known; rebuild them when a change set is executed, as AWS does.
    original = moto_cloudformation.ChangeSet.apply

    def apply_then_outputs(change_set):
        original(change_set)
        stack = change_set.stack
        stack.template = change_set.template
        stack._parse_template()
        stack.output_map = stack._create_output_map()

    monkeypatch.setattr(moto_cloudformation.ChangeSet, "apply", apply_then_outputs)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    httpx.post(f"{url}/moto-api/reset").raise_for_status()  # moto's state is per process
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def aws(endpoint: str, tmp_path) -> AwsApis:
    environ = {
        **KEYS,
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return open_aws(resolve_session(REGION, environ), endpoint_url=endpoint)


def raw(endpoint: str, service: str):
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    ).client(service, endpoint_url=endpoint)


def push(endpoint: str, digest: str) -> None:
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1,
            "digest": digest,
        },
        "layers": [],
    }
    raw(endpoint, "ecr").put_image(
        repositoryName="launchdeck/shop/web",
        imageManifest=json.dumps(manifest),
        imageTag=digest[7:19],
        imageDigest=digest,
    )


def run(aws: AwsApis, digest: str, events: list[DeployEvent]):
    return deploy(
        aws,
        APP,
        ENV,
        SERVICES,
        json.dumps(SHARED),
        json.dumps(ENVIRONMENT),
        f"{REGISTRY}/launchdeck/shop/web@{digest}",
        confirm=lambda summary: True,
        on_event=events.append,
        waits=Waits(poll=0.05),
    )


def first_deploy(aws: AwsApis, endpoint: str, events: list[DeployEvent]):
    """The first deploy makes the shared stack (the repository) and stops: nothing is pushed
    yet; once the image is pushed, the next one creates the environment."""
    with pytest.raises(ImageNotPushed, match="is not in ECR repository launchdeck/shop/web"):
        run(aws, DIGEST_1, events)
    push(endpoint, DIGEST_1)
    return run(aws, DIGEST_1, events)


def test_create_then_update_through_the_deploy_path(aws: AwsApis, endpoint: str) -> None:
    events: list[DeployEvent] = []

    created = first_deploy(aws, endpoint, events)

    assert created.outcome is Outcome.CHANGED and created.shared is Outcome.UNCHANGED
    stack = aws.stacks.describe("launchdeck-shop-staging")
    assert stack is not None and stack.status == "CREATE_COMPLETE"
    assert stack.parameters == {"ImageDigest": DIGEST_1}
    assert stack.outputs["ClusterName"] == "shop-staging"
    assert stack.outputs["WebServiceName"] == "shop-staging-web"
    assert created.url == "https://shop-staging.example"
    assert created.task_definitions == {"web": "shop-staging-web:1"}
    ssm = raw(endpoint, "ssm")
    assert (
        ssm.get_parameter(Name="/launchdeck/shop/staging/image")["Parameter"]["Value"] == DIGEST_1
    )

    push(endpoint, DIGEST_2)
    updated = run(aws, DIGEST_2, events)

    assert updated.outcome is Outcome.CHANGED
    stack = aws.stacks.describe("launchdeck-shop-staging")
    assert stack is not None and stack.status == "UPDATE_COMPLETE"
    assert stack.parameters == {"ImageDigest": DIGEST_2}
    assert (
        ssm.get_parameter(Name="/launchdeck/shop/staging/image")["Parameter"]["Value"] == DIGEST_2
    )

    again = run(aws, DIGEST_2, events)  # moto, too, fails an empty change set: a no-op
    assert (again.outcome, again.shared) == (Outcome.UNCHANGED, Outcome.UNCHANGED)

    found = status(aws, APP, ENV, SERVICES)
    assert (found.stack_status, found.digest) == ("UPDATE_COMPLETE", DIGEST_2)
    assert [(s.service, s.rollout_state) for s in found.services] == [("web", "COMPLETED")]


def test_logs_read_through_filter_log_events(aws: AwsApis, endpoint: str) -> None:
    first_deploy(aws, endpoint, [])
    client = raw(endpoint, "logs")
    client.create_log_stream(logGroupName="/launchdeck/shop-staging/web", logStreamName="web/1")
    now_ms = int(time.time() * 1000)
    client.put_log_events(
        logGroupName="/launchdeck/shop-staging/web",
        logStreamName="web/1",
        logEvents=[
            {"timestamp": now_ms - 2000, "message": "booted"},
            {"timestamp": now_ms - 1000, "message": "GET / 200"},
        ],
    )

    lines = list(logs(aws, APP, ENV, SERVICES, since=timedelta(minutes=5)))

    assert [(line.service, line.message) for line in lines] == [
        ("web", "booted"),
        ("web", "GET / 200"),
    ]
