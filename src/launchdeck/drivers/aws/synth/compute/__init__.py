"""ECS on Fargate: the cluster, one task definition and service per manifest service, the
execution role (reads only this environment's secrets), a task role per service, and the
one-off task definition `run`.

Every service runs the one build image (pushed to each service's repository) by digest; its
manifest command runs through `sh -c`, as on the local driver. Task definitions are tasks.py;
autoscaling is scaling.py; the deployments of a canary `[deploy]` are canary.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from troposphere import Ref, Template, ecs

from launchdeck.domain import HealthCheck, ServiceSpec
from launchdeck.drivers.aws.names import RUN, cluster_name, title
from launchdeck.drivers.aws.synth.compute.canary import (
    deployment_alarms,
    rollout,
    service_props,
    traffic_role,
)
from launchdeck.drivers.aws.synth.compute.tasks import (
    OneOff,
    execution_role,
    log_group,
    one_off,
    task_definition,
    task_role,
)
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.data import Data
from launchdeck.drivers.aws.synth.edge import Edge
from launchdeck.drivers.aws.synth.naming import CONTAINER_PORT
from launchdeck.drivers.aws.synth.network import Network


@dataclass(frozen=True)
class Compute:
    cluster: Any
    services: dict[str, Any]  # service name -> ECS service
    tasks: dict[str, Any]
    log_groups: dict[str, Any]
    roles: list[Any]
    run: OneOff  # the one-off task (`aws run`, scheduled jobs)


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
    groups = {spec.name: log_group(t, env, spec.name, key) for spec in env.services}
    run_logs = log_group(t, env, RUN, key)
    execution = execution_role(t, env, [*groups.values(), run_logs], data, key)
    tasks, services, roles = {}, {}, [execution]
    canary = _canary(t, env, edge_)
    if canary.role is not None:
        roles.append(canary.role)
    for spec in env.services:
        role_ = task_role(t, env, spec.name, data)
        roles.append(role_)
        tasks[spec.name] = task_definition(
            t, env, spec, (execution, role_), groups[spec.name], data
        )
        services[spec.name] = _service(
            t, env, spec, cluster, tasks[spec.name], net, app_group, edge_, canary
        )
    run = one_off(t, env, execution, run_logs, data)
    roles.append(run.role)
    return Compute(cluster, services, tasks, groups, roles, run)


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
