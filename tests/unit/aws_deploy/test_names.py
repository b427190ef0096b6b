"""The one definition of AWS names: what synthesis writes is what the deploy side looks for."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from launchdeck.awsdeploy.layout import layout, run_layout
from launchdeck.domain import Manifest, ServiceSpec
from launchdeck.drivers.aws.clients import Stack
from launchdeck.drivers.aws.names import (
    IMAGE_PARAMETER,
    RUN,
    cron_group,
    env_stack,
    log_group_name,
    queue_variable,
    repository_name,
    rollback_record,
    service_outputs,
    shared_stack,
    stack_names,
    task_family,
    title,
)
from launchdeck.drivers.aws.synth import synth_env, synth_shared, to_json
from launchdeck.manifest import parse_manifest

# Hyphens, digits, one-letter parts, and (built past the manifest's rules, which allow only
# lowercase letters, digits and '-') the underscore the two old `title()` rules disagreed on.
EDGE_CASES = ("web", "worker2", "api-v2", "a-b-c", "big_worker")


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("web", "Web"),
        ("api-v2", "ApiV2"),
        ("a-b-c", "ABC"),
        ("worker2", "Worker2"),
        ("web-2", "Web2"),
        ("big-worker", "BigWorker"),
        ("big_worker", "BigWorker"),
        ("apiV2", "ApiV2"),
        ("a--b", "AB"),
    ],
)
def test_a_service_title_is_letters_and_digits_only(service: str, expected: str) -> None:
    assert title(service) == expected


def test_stack_repository_and_record_names() -> None:
    assert stack_names("shop", "staging") == (shared_stack("shop"), env_stack("shop", "staging"))
    assert stack_names("shop", "staging") == ("launchdeck-shop", "launchdeck-shop-staging")
    assert repository_name("shop", "api-v2") == "launchdeck/shop/api-v2"
    assert rollback_record("shop", "production") == "/launchdeck/shop/production/rolled-back-to"


def edge_case_manifest() -> Manifest:
    """A routed `web` and every edge case as a worker; `big_worker` added after parsing."""
    text = 'app = "shop"\n[services.web]\ncommand = "serve"\nport = "$PORT"\n'
    workers = [s for s in EDGE_CASES if s != "web"]
    text += "".join(f'[services.{s}]\ncommand = "run"\n' for s in workers if "_" not in s)
    parsed = parse_manifest(text)
    extra = {s: ServiceSpec(name=s, command="run") for s in workers if "_" in s}
    return replace(parsed, services={**parsed.services, **extra})


def resource(template: dict[str, Any], reference: Any) -> dict[str, Any]:
    """The resource an output's Ref or GetAtt points at."""
    logical_id = reference["Ref"] if "Ref" in reference else reference["Fn::GetAtt"][0]
    found: dict[str, Any] = template["Resources"][logical_id]
    return found


def test_synthesized_outputs_are_the_names_the_deploy_side_reads() -> None:
    manifest = edge_case_manifest()
    template = json.loads(to_json(synth_env(manifest, "staging")))
    outputs = template["Outputs"]

    # the deploy side finds every service in the stack these outputs describe
    stack = Stack(
        env_stack("shop", "staging"),
        "id",
        "UPDATE_COMPLETE",
        outputs={key: f"<{key}>" for key in outputs},
    )
    found = layout(stack, list(manifest.services))

    assert IMAGE_PARAMETER in template["Parameters"]
    for service in manifest.services:
        keys = service_outputs(service)
        lay = found.services[service]
        assert (lay.name, lay.family, lay.log_group) == (
            f"<{keys.service_name}>",
            f"<{keys.task_family}>",
            f"<{keys.log_group}>",
        )
        # ... and each output is the resource of that service, not of another one
        ecs = resource(template, outputs[keys.service_name]["Value"])
        assert ecs["Type"] == "AWS::ECS::Service"
        assert ecs["Properties"]["ServiceName"] == service
        assert outputs[keys.task_family]["Value"] == task_family("shop", "staging", service)
        group = resource(template, outputs[keys.log_group]["Value"])
        assert group["Properties"]["LogGroupName"] == log_group_name("shop", "staging", service)


def test_every_logical_id_is_letters_and_digits() -> None:
    manifest = edge_case_manifest()
    for template in (synth_env(manifest, "staging"), synth_shared(manifest)):
        body = json.loads(to_json(template))
        ids = [*body["Resources"], *body.get("Outputs", {})]
        assert [i for i in ids if not re.fullmatch(r"[A-Za-z0-9]+", i)] == []


def test_the_shared_stack_makes_the_repositories_the_deploy_side_checks() -> None:
    manifest = edge_case_manifest()
    shared = json.loads(to_json(synth_shared(manifest)))
    made = {
        r["Properties"]["RepositoryName"]
        for r in shared["Resources"].values()
        if r["Type"] == "AWS::ECR::Repository"
    }
    assert made == {repository_name("shop", s) for s in manifest.services}


def test_the_one_off_task_is_where_the_deploy_side_looks_for_it() -> None:
    template = json.loads(to_json(synth_env(edge_case_manifest(), "staging")))
    outputs = template["Outputs"]
    stack = Stack(
        env_stack("shop", "staging"),
        "id",
        "UPDATE_COMPLETE",
        outputs={key: f"<{key}>" for key in outputs} | {"PrivateSubnetIds": "subnet-a,subnet-b"},
    )
    found = run_layout(stack)
    assert (found.cluster, found.family, found.log_group) == (
        "<ClusterName>",
        "<RunTaskFamily>",
        "<RunLogGroup>",
    )
    assert found.subnets == ("subnet-a", "subnet-b")
    assert found.security_groups == ("<AppSecurityGroupId>",)
    assert outputs["RunTaskFamily"]["Value"] == task_family("shop", "staging", RUN)
    group = resource(template, outputs["RunLogGroup"]["Value"])
    assert group["Properties"]["LogGroupName"] == log_group_name("shop", "staging", RUN)
    [container] = resource(template, {"Ref": "RunTask"})["Properties"]["ContainerDefinitions"]
    assert (
        container["Name"] == RUN
        and container["LogConfiguration"]["Options"]["awslogs-stream-prefix"] == RUN
    )  # so a task's stream is run/run/<task id>, as `aws run` reads it


def test_names_of_jobs_and_queues() -> None:
    assert cron_group("nightly-report") == "cron:nightly-report"
    assert queue_variable("emails") == "QUEUE_EMAILS_URL"
    assert queue_variable("video-encode-2") == "QUEUE_VIDEO_ENCODE_2_URL"
