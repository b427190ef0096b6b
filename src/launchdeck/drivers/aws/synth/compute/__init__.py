"""ECS on Fargate: the cluster, one task definition and service per manifest service, the
execution role (reads only this environment's secrets) and a task role per service.

Every service runs the one build image (pushed to each service's repository) by digest; its
manifest command runs through `sh -c`, as on the local driver. Autoscaling is scaling.py; the
deployments of a canary `[deploy]` are canary.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from troposphere import GetAtt, Join, Ref, Sub, Template, ecs, logs

from launchdeck.domain import HealthCheck, ServiceSpec
from launchdeck.drivers.aws.fargate import task_size
from launchdeck.drivers.aws.names import (
    IMAGE_PARAMETER,
    cluster_name,
    log_group_name,
    parameter_prefix,
    repository_name,
    task_family,
    title,
)
from launchdeck.drivers.aws.synth.compute.canary import (
    deployment_alarms,
    rollout,
    service_props,
    traffic_role,
)
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.data import Data
from launchdeck.drivers.aws.synth.edge import Edge
from launchdeck.drivers.aws.synth.iam import role, statement
from launchdeck.drivers.aws.synth.naming import CONTAINER_PORT
from launchdeck.drivers.aws.synth.network import Network

FARGATE_MAX_STOP = 120


@dataclass(frozen=True)
class Compute:
    cluster: Any
    services: dict[str, Any]  # service name -> ECS service
    tasks: dict[str, Any]
    log_groups: dict[str, Any]
    roles: list[Any]


def compute(
    t: Template, env: Env, net: Network, app_group: Any, edge_: Edge | None, data: Data, key: Any
) -> Compute:
    cluster = t.add_resource(
        ecs.Cluster(
            "Cluster",
            ClusterName=cluster_name(env.app, env.name),
            ClusterSettings=[ecs.ClusterSetting(Name="containerInsights", Value="enabled")],
        )
    )
    groups = {spec.name: _log_group(t, env, spec, key) for spec in env.services}
    execution = _execution_role(t, env, groups, data, key)
    tasks, services, roles = {}, {}, [execution]
    canary = _canary(t, env, edge_)
    if canary.role is not None:
        roles.append(canary.role)
    for spec in env.services:
        task_role = role(t, f"{title(spec.name)}TaskRole", env.app, "ecs-tasks.amazonaws.com")
        roles.append(task_role)
        tasks[spec.name] = _task(t, env, spec, execution, task_role, groups[spec.name], data)
        services[spec.name] = _service(
            t, env, spec, cluster, tasks[spec.name], net, app_group, edge_, canary
        )
    return Compute(cluster, services, tasks, groups, roles)


@dataclass(frozen=True)
class _Canary:
    """A canary's shared parts: ECS's role on the load balancer, each covered service's props."""

    role: Any = None
    props: dict[str, dict[str, Any]] = field(default_factory=dict)  # service -> service props

    @property
    def first(self) -> list[str]:
        """The covered services' logical ids: the others roll out once these have finished."""
        return [f"{title(name)}Service" for name in self.props]


def _canary(t: Template, env: Env, edge_: Edge | None) -> _Canary:
    if not env.canary:
        return _Canary()
    assert edge_ is not None  # a canary covers routed services, which have the load balancer
    plan, shift_role = rollout(env.manifest.deploy), traffic_role(t, env, edge_)
    props = {
        spec.name: service_props(
            spec, edge_, shift_role, plan, deployment_alarms(t, env, spec, edge_, plan)
        )
        for spec in env.canary
    }
    return _Canary(shift_role, props)


def _log_group(t: Template, env: Env, spec: ServiceSpec, key: Any) -> Any:
    return t.add_resource(
        logs.LogGroup(
            f"{title(spec.name)}Logs",
            LogGroupName=log_group_name(env.app, env.name, spec.name),
            RetentionInDays=env.aws.log_retention_days,
            KmsKeyId=GetAtt(key, "Arn"),
        )
    )


def secret_parameter(env: Env, key: str) -> Any:
    return Sub(
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
        f"{parameter_prefix(env.app, env.name)}/{key}"
    )


def _execution_role(t: Template, env: Env, groups: dict[str, Any], data: Data, key: Any) -> Any:
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
            [Join("", [GetAtt(group, "Arn"), ":*"]) for group in groups.values()],
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


def _environment(env: Env, spec: ServiceSpec, data: Data) -> list[Any]:
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


def _task(
    t: Template,
    env: Env,
    spec: ServiceSpec,
    execution: Any,
    task_role: Any,
    group: Any,
    data: Data,
) -> Any:
    size = task_size(spec.resources.cpu, spec.resources.memory)
    container = _container(env, spec, group, data)
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
            TaskRoleArn=GetAtt(task_role, "Arn"),
            ContainerDefinitions=[ecs.ContainerDefinition(**container)],
            **props,
        )
    )


def _container(env: Env, spec: ServiceSpec, group: Any, data: Data) -> dict[str, Any]:
    image = Sub(
        "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/"
        f"{repository_name(env.app, spec.name)}@${{{IMAGE_PARAMETER}}}"
    )
    container: dict[str, Any] = {
        "Name": spec.name,
        "Image": image,
        "Essential": True,
        "EntryPoint": ["sh", "-c"],
        "Command": [spec.command],
        "Environment": _environment(env, spec, data),
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


def deployment_percents(spec: ServiceSpec) -> tuple[int, int]:
    """(MinimumHealthyPercent, MaximumPercent) from the manifest's rollout."""
    count = max(1, spec.scale.count)
    surge = spec.rollout.max_surge.resolve(count)
    unavailable = spec.rollout.max_unavailable.resolve(count)
    maximum = min(200, 100 + math.ceil(100 * surge / count))
    minimum = max(0, 100 - math.floor(100 * unavailable / count))
    return minimum, maximum


def autoscaled(spec: ServiceSpec) -> bool:
    return spec.autoscale is not None


def _service(
    t: Template,
    env: Env,
    spec: ServiceSpec,
    cluster: Any,
    task: Any,
    net: Network,
    app_group: Any,
    edge_: Edge | None,
    canary: _Canary,
) -> Any:
    minimum, maximum = deployment_percents(spec)
    props: dict[str, Any] = {
        "DeploymentConfiguration": ecs.DeploymentConfiguration(
            MinimumHealthyPercent=minimum,
            MaximumPercent=maximum,
            DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(Enable=True, Rollback=True),
        )
    }
    if not autoscaled(spec):
        # Left out when autoscaled, so a stack update never resets what autoscaling chose.
        props["DesiredCount"] = spec.scale.count
    if spec.routed:
        assert edge_ is not None  # a routed service always has the load balancer
        props["LoadBalancers"] = [
            ecs.LoadBalancer(
                ContainerName=spec.name,
                ContainerPort=CONTAINER_PORT,
                TargetGroupArn=Ref(edge_.targets[spec.name]),
            )
        ]
        props["HealthCheckGracePeriodSeconds"] = math.ceil((spec.health or HealthCheck()).grace)
        props["DependsOn"] = [edge_.https, *edge_.listener_rules]
    _with_canary(props, spec, edge_, canary)
    return t.add_resource(
        ecs.Service(
            f"{title(spec.name)}Service",
            ServiceName=spec.name,
            Cluster=Ref(cluster),
            TaskDefinition=Ref(task),
            LaunchType="FARGATE",
            PlatformVersion="LATEST",
            PropagateTags="SERVICE",
            EnableECSManagedTags=True,
            NetworkConfiguration=ecs.NetworkConfiguration(
                AwsvpcConfiguration=ecs.AwsvpcConfiguration(
                    AssignPublicIp="DISABLED",
                    Subnets=[Ref(subnet) for subnet in net.private],
                    SecurityGroups=[Ref(app_group)],
                )
            ),
            **props,
        )
    )


def _with_canary(
    props: dict[str, Any], spec: ServiceSpec, edge_: Edge | None, canary: _Canary
) -> None:
    if spec.name in canary.props:
        # ECS's canary replaces the rolling percents and the circuit breaker (rolling only)
        props.update(canary.props[spec.name])
        assert edge_ is not None
        own = edge_.production_rules[spec.name]  # its Ref in the props orders it already
        props["DependsOn"] = [resource for resource in props["DependsOn"] if resource is not own]
    elif canary.first:
        # CloudFormation updates a resource after those it depends on: the canary goes first
        props["DependsOn"] = [*props.get("DependsOn", []), *canary.first]
