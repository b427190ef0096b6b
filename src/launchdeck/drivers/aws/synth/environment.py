"""The environment stack `launchdeck-<app>-<env>`: parameters, every part, and the outputs the
deploy side reads (the contract in docs/aws.md)."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Join, Output, Parameter, Ref, Template

from launchdeck.drivers.aws.names import (
    CLUSTER_OUTPUT,
    IMAGE_PARAMETER,
    RUN_FAMILY_OUTPUT,
    RUN_LOG_GROUP_OUTPUT,
    SECURITY_GROUP_OUTPUT,
    SUBNETS_OUTPUT,
    URL_OUTPUT,
    service_outputs,
)
from launchdeck.drivers.aws.synth.alerting.topic import alerts
from launchdeck.drivers.aws.synth.compute import Compute, compute
from launchdeck.drivers.aws.synth.compute.scaling import autoscaling
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.data import data
from launchdeck.drivers.aws.synth.data.queues import queue_id
from launchdeck.drivers.aws.synth.edge import Edge, dns_records, edge
from launchdeck.drivers.aws.synth.edge.cdn import distribution
from launchdeck.drivers.aws.synth.foundation import key, log_bucket
from launchdeck.drivers.aws.synth.jobs import DEAD_LETTERS, schedules
from launchdeck.drivers.aws.synth.network import Network, network
from launchdeck.drivers.aws.synth.network.security import bastion, groups, restrict_default_group

DIGEST_PATTERN = "^sha256:[0-9a-f]{64}$"


def environment_template(env: Env) -> Template:
    t = Template(Description=f"launchdeck: {env.app} {env.name} (ECS Fargate behind an ALB)")
    _parameters(t)
    stack_key = key(t, env)
    logs = log_bucket(t, env)
    net = network(t, env, logs)
    restrict_default_group(t, env, net, stack_key)
    sgs = groups(t, env, net)
    bastion(t, env, net, sgs)
    edge_, cdn = None, None
    if env.routed:  # workers only: no load balancer, no certificate, nothing public
        edge_ = edge(t, env, net, sgs.alb, logs, t.resources["LogBucketPolicy"])
        cdn = distribution(t, env, edge_.alb, edge_.certificate, logs)
        dns_records(t, env, edge_, cdn)
    added = data(t, env, net, sgs.db, sgs.cache, stack_key)
    services = compute(t, env, net, sgs.app, edge_, added, stack_key)
    autoscaling(t, env, services, edge_)
    jobs = schedules(t, env, services, net, sgs.app)
    dead_letters = {
        f"{queue_id(name)}DeadLetters": (queue, f"queue {name}: a message failed every receive")
        for name, queue in added.queues.dead_letters.items()
    }
    if jobs.dead_letters is not None:
        dead_letters[DEAD_LETTERS] = (jobs.dead_letters, "cron: a scheduled start failed")
    alerts(t, env, stack_key, edge_, services, added.database, dead_letters)
    _outputs(t, env, net, sgs.app, edge_, services, cdn)
    return t


def _parameters(t: Template) -> None:
    t.add_parameter(
        Parameter(
            IMAGE_PARAMETER,
            Type="String",
            AllowedPattern=DIGEST_PATTERN,
            Description="Digest of the build image every service runs (sha256:...)",
            ConstraintDescription="sha256: followed by 64 lowercase hex digits",
        )
    )
    t.add_parameter(
        Parameter("Release", Type="String", Default="", Description="Release name (vN)")
    )
    t.add_parameter(
        Parameter("GitSha", Type="String", Default="", Description="Commit the build came from")
    )


def _outputs(
    t: Template,
    env: Env,
    net: Network,
    app_group: Any,
    edge_: Edge | None,
    compute_: Compute,
    cdn: Any,
) -> None:
    outputs = {
        CLUSTER_OUTPUT: Ref(compute_.cluster),
        SUBNETS_OUTPUT: Join(",", [Ref(subnet) for subnet in net.private]),
        SECURITY_GROUP_OUTPUT: Ref(app_group),
        RUN_FAMILY_OUTPUT: compute_.run.task.Family,
        RUN_LOG_GROUP_OUTPUT: Ref(compute_.run.logs),
    }
    if edge_ is not None:
        outputs["LoadBalancerDns"] = GetAtt(edge_.alb, "DNSName")
        outputs[URL_OUTPUT] = _url(env, edge_)
    if cdn is not None:
        outputs["CloudFrontDomain"] = GetAtt(cdn, "DomainName")
    for spec in env.services:
        names = service_outputs(spec.name)
        outputs[names.service_name] = GetAtt(compute_.services[spec.name], "Name")
        outputs[names.task_family] = compute_.tasks[spec.name].Family
        outputs[names.log_group] = Ref(compute_.log_groups[spec.name])
    for key_, value in outputs.items():
        t.add_output(Output(key_, Value=value))


def _url(env: Env, edge_: Edge) -> Any:
    if env.domain is not None:
        return f"https://{env.domain}"
    return Join("", ["https://", GetAtt(edge_.alb, "DNSName")])
