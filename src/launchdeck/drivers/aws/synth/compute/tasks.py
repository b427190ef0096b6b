"""Task definitions: one per service, and the environment's one-off task `run` (`launchdeck aws
run`, the scheduled jobs), all running the one build image by digest, their manifest command
through `sh -c`; the execution role they share, and a task role each.

The `run` task is the first service's (`web` when it is routed) with another command: its size,
image repository and environment (config, secrets, add-ons, queues); its logs go to their own
group, `/launchdeck/<app>/<env>/run`, each task's stream `run/run/<task id>`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from troposphere import GetAtt, Join, Ref, Sub, Template, ecs, logs

from launchdeck.domain import ServiceSpec
from launchdeck.drivers.aws.fargate import task_size
from launchdeck.drivers.aws.names import (
    IMAGE_PARAMETER,
    RUN,
    log_group_name,
    parameter_prefix,
    repository_name,
    task_family,
    title,
)
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.data import Data
from launchdeck.drivers.aws.synth.iam import role, statement
from launchdeck.drivers.aws.synth.naming import CONTAINER_PORT

FARGATE_MAX_STOP = 120
# What the run task does when started without a command override (it always gets one).
NO_COMMAND = "echo 'launchdeck: no command given; use launchdeck aws run -- COMMAND' >&2; exit 2"


@dataclass(frozen=True)
class OneOff:
    """The one-off task definition and what may run it: its task role and the execution role."""

    task: Any
    role: Any
    execution: Any
    logs: Any


def log_group(t: Template, env: Env, name: str, key: Any) -> Any:
    return t.add_resource(
        logs.LogGroup(
            f"{title(name)}Logs",
            LogGroupName=log_group_name(env.app, env.name, name),
            RetentionInDays=env.aws.log_retention_days,
            KmsKeyId=GetAtt(key, "Arn"),
        )
    )


def task_role(t: Template, env: Env, name: str, data: Data) -> Any:
    """Empty but for the queues (add what the app needs)."""
    return role(t, f"{title(name)}TaskRole", env.app, "ecs-tasks.amazonaws.com", data.task_policy)


def secret_parameter(env: Env, key: str) -> Any:
    return Sub(
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
        f"{parameter_prefix(env.app, env.name)}/{key}"
    )


def execution_role(t: Template, env: Env, groups: list[Any], data: Data, key: Any) -> Any:
    repos = Sub(
        "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/"
        f"{repository_name(env.app, '*')}"
    )
    statements = [
        statement("ecr:GetAuthorizationToken", "*"),
        statement(
            ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            repos,
        ),
        statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [Join("", [GetAtt(group, "Arn"), ":*"]) for group in groups],
        ),
        statement(["kms:Decrypt"], GetAtt(key, "Arn")),
    ]
    if env.aws.secrets:
        params = Sub(
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
            f"{parameter_prefix(env.app, env.name)}/*"
        )
        statements.append(statement("ssm:GetParameters", params))
        # SecureStrings under the AWS managed key are decrypted through SSM, no grant needed.
    if data.secrets:
        statements.append(statement("secretsmanager:GetSecretValue", data.secrets))
    return role(t, "ExecutionRole", env.app, "ecs-tasks.amazonaws.com", statements)


def task_definition(
    t: Template,
    env: Env,
    spec: ServiceSpec,
    roles: tuple[Any, Any],  # (execution role, task role)
    group: Any,
    data: Data,
    *,
    image_of: str | None = None,  # the service whose repository it pulls from (its own)
) -> Any:
    execution, task_role_ = roles
    size = task_size(spec.resources.cpu, spec.resources.memory)
    container = _container(env, spec, group, data, image_of or spec.name)
    props: dict[str, Any] = {}
    if env.aws.read_only_root:
        container["MountPoints"] = [ecs.MountPoint(ContainerPath="/tmp", SourceVolume="tmp")]
        props["Volumes"] = [ecs.Volume(Name="tmp")]
    return t.add_resource(
        ecs.TaskDefinition(
            f"{title(spec.name)}Task",
            # kept when a new revision replaces it: `aws rollback` needs the previous one ACTIVE;
            # deleting the stack deletes it (it is a revision record, nothing is lost)
            UpdateReplacePolicy="Retain",
            DeletionPolicy="Delete",
            Family=task_family(env.app, env.name, spec.name),
            Cpu=str(size.cpu_units),
            Memory=str(size.memory_mib),
            NetworkMode="awsvpc",
            RequiresCompatibilities=["FARGATE"],
            RuntimePlatform=ecs.RuntimePlatform(
                CpuArchitecture="X86_64", OperatingSystemFamily="LINUX"
            ),
            ExecutionRoleArn=GetAtt(execution, "Arn"),
            TaskRoleArn=GetAtt(task_role_, "Arn"),
            ContainerDefinitions=[ecs.ContainerDefinition(**container)],
            **props,
        )
    )


def one_off(t: Template, env: Env, execution: Any, group: Any, data: Data) -> OneOff:
    """The `run` task definition: the first service's, with no port and no default command."""
    first = (env.routed or env.services)[0]
    spec = replace(first, name=RUN, command=NO_COMMAND, port=False, health=None, autoscale=None)
    run_role = task_role(t, env, RUN, data)
    task = task_definition(t, env, spec, (execution, run_role), group, data, image_of=first.name)
    return OneOff(task=task, role=run_role, execution=execution, logs=group)


def _environment(env: Env, data: Data) -> list[Any]:
    values: dict[str, Any] = {
        "PORT": str(CONTAINER_PORT),
        "LAUNCHDECK_APP": env.app,
        "LAUNCHDECK_ENV": env.name,
        "LAUNCHDECK_BUILD": Ref(IMAGE_PARAMETER),
        "LAUNCHDECK_RELEASE": Ref("Release"),
        "GIT_SHA": Ref("GitSha"),
        **data.environment,
    }
    values.update({k: v for k, v in env.config.items() if k not in env.aws.secrets})
    return [ecs.Environment(Name=name, Value=values[name]) for name in sorted(values)]


def _secrets(env: Env, data: Data) -> list[Any]:
    from_ssm = {key: secret_parameter(env, key) for key in env.aws.secrets}
    entries = {**from_ssm, **data.secret_env}
    return [ecs.Secret(Name=name, ValueFrom=entries[name]) for name in sorted(entries)]


def _container(
    env: Env, spec: ServiceSpec, group: Any, data: Data, image_of: str
) -> dict[str, Any]:
    image = Sub(
        "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/"
        f"{repository_name(env.app, image_of)}@${{{IMAGE_PARAMETER}}}"
    )
    container: dict[str, Any] = {
        "Name": spec.name,
        "Image": image,
        "Essential": True,
        "EntryPoint": ["sh", "-c"],
        "Command": [spec.command],
        "Environment": _environment(env, data),
        "ReadonlyRootFilesystem": env.aws.read_only_root,
        "Privileged": False,
        "StopTimeout": min(FARGATE_MAX_STOP, math.ceil(spec.stop_timeout)),
        "LinuxParameters": ecs.LinuxParameters(InitProcessEnabled=True),
        "LogConfiguration": ecs.LogConfiguration(
            LogDriver="awslogs",
            Options={
                "awslogs-group": Ref(group),
                "awslogs-region": Ref("AWS::Region"),
                "awslogs-stream-prefix": spec.name,
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        ),
    }
    if secrets := _secrets(env, data):
        container["Secrets"] = secrets
    if spec.routed:
        container["PortMappings"] = [ecs.PortMapping(ContainerPort=CONTAINER_PORT, Protocol="tcp")]
    return container
