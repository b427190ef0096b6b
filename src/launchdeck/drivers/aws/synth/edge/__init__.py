"""The public edge: a TLS certificate, the ALB (HTTP redirects to HTTPS), one target group per
routed service. The default service (`web`) takes every host; others answer on `<service>.<domain>`.
CloudFront in front of it, when asked for, is cdn.py.

A service a canary `[deploy]` covers gets what ECS's own canary needs (compute/canary.py): a
second target group, and a listener rule forwarding to both (100/0) whose weights ECS moves. The
default service, which otherwise has only the listener's default action, gets a catch-all rule
at the last priority for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from troposphere import GetAtt, Parameter, Ref, Template, certificatemanager, route53
from troposphere import elasticloadbalancingv2 as elb

from launchdeck.domain import HealthCheck, ServiceSpec
from launchdeck.drivers.aws.names import title
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.naming import CONTAINER_PORT
from launchdeck.drivers.aws.synth.network import Network

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
LAST_PRIORITY = 50000  # the ALB's highest rule priority, matched last
ACM_ARN_PATTERN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$"


@dataclass(frozen=True)
class Edge:
    alb: Any
    https: Any
    certificate: Any  # an ARN string or a Ref
    targets: dict[str, Any]  # service name -> target group
    listener_rules: list[Any]
    alternates: dict[str, Any] = field(default_factory=dict)  # canary service -> its 2nd group
    production_rules: dict[str, Any] = field(default_factory=dict)  # canary service -> its rule

    def groups(self, service: str) -> list[Any]:
        """The service's target groups: its own, and with a canary the one ECS alternates with
        (after each canary deployment the other one serves)."""
        alternate = self.alternates.get(service)
        return [self.targets[service], *([alternate] if alternate is not None else [])]


def certificate(t: Template, env: Env) -> Any:
    """The ALB's certificate: the manifest's ARN, one made for the domain, or a parameter."""
    if env.aws.certificate_arn:
        return env.aws.certificate_arn
    if env.domain is not None:
        options: dict[str, Any] = {}
        if env.aws.hosted_zone_id:
            options["DomainValidationOptions"] = [
                certificatemanager.DomainValidationOption(
                    DomainName=name, HostedZoneId=env.aws.hosted_zone_id
                )
                for name in [env.domain, *(env.host(spec) for spec in env.routed[1:])]
            ]
        hosts = [env.host(spec) for spec in env.routed[1:]]
        if hosts:
            options["SubjectAlternativeNames"] = hosts
        cert = t.add_resource(
            certificatemanager.Certificate(
                "Certificate", DomainName=env.domain, ValidationMethod="DNS", **options
            )
        )
        return Ref(cert)
    param = t.add_parameter(
        Parameter(
            "CertificateArn",
            Type="String",
            AllowedPattern=ACM_ARN_PATTERN,
            Description="ACM certificate (in this region) the load balancer serves HTTPS with",
            ConstraintDescription="an ACM certificate ARN",
        )
    )
    return Ref(param)


def edge(t: Template, env: Env, net: Network, alb_group: Any, logs: Any, policy: Any) -> Edge:
    attributes = {
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": Ref(logs),
        "access_logs.s3.prefix": "alb",
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "deletion_protection.enabled": "true" if env.production else "false",
    }
    alb = t.add_resource(
        elb.LoadBalancer(
            "LoadBalancer",
            Type="application",
            Scheme="internet-facing",
            Subnets=[Ref(subnet) for subnet in net.public],
            SecurityGroups=[Ref(alb_group)],
            LoadBalancerAttributes=[
                elb.LoadBalancerAttributes(Key=key, Value=value)
                for key, value in attributes.items()
            ],
            DependsOn=[policy],  # the bucket must accept logs before the ALB is created
        )
    )
    cert = certificate(t, env)
    targets = {spec.name: _target_group(t, env, net, spec) for spec in env.routed}
    alternates = {
        spec.name: _target_group(t, env, net, spec, suffix="TargetsAlternate")
        for spec in env.canary
    }
    https, rules = _listeners(t, env, alb, cert, targets, alternates)
    production = _production_rules(t, env, https, targets, alternates, rules)
    extra = [rule for name, rule in production.items() if name not in rules]
    return Edge(alb, https, cert, targets, [*rules.values(), *extra], alternates, production)


def _listeners(
    t: Template,
    env: Env,
    alb: Any,
    cert: Any,
    targets: dict[str, Any],
    alternates: dict[str, Any],
) -> tuple[Any, dict[str, Any]]:
    """HTTP redirects to HTTPS; HTTPS forwards to the default service, or by host to others.
    Returns the HTTPS listener and the host rules by service."""
    t.add_resource(
        elb.Listener(
            "HttpListener",
            LoadBalancerArn=Ref(alb),
            Port=80,
            Protocol="HTTP",
            DefaultActions=[
                elb.Action(
                    Type="redirect",
                    RedirectConfig=elb.RedirectConfig(
                        Protocol="HTTPS", Port="443", StatusCode="HTTP_301"
                    ),
                )
            ],
        )
    )
    https = t.add_resource(
        elb.Listener(
            "HttpsListener",
            LoadBalancerArn=Ref(alb),
            Port=443,
            Protocol="HTTPS",
            SslPolicy=TLS_POLICY,
            Certificates=[elb.Certificate(CertificateArn=cert)],
            DefaultActions=[_forward(targets[env.routed[0].name])],
        )
    )
    rules = {
        spec.name: t.add_resource(
            elb.ListenerRule(
                f"{title(spec.name)}HostRule",
                ListenerArn=Ref(https),
                Priority=priority,
                Conditions=[
                    elb.Condition(
                        Field="host-header",
                        HostHeaderConfig=elb.HostHeaderConfig(Values=[env.host(spec)]),
                    )
                ],
                Actions=[_rule_forward(targets[spec.name], alternates.get(spec.name))],
            )
        )
        for priority, spec in enumerate(env.routed[1:], start=1)
    }
    return https, rules


def _production_rules(
    t: Template,
    env: Env,
    https: Any,
    targets: dict[str, Any],
    alternates: dict[str, Any],
    host_rules: dict[str, Any],
) -> dict[str, Any]:
    """The rule ECS shifts each canary service's traffic on: its host rule, or for the default
    service (reached through the listener's default action) a catch-all rule matched last."""
    production = {}
    for spec in env.canary:
        if spec.name in host_rules:
            production[spec.name] = host_rules[spec.name]
            continue
        production[spec.name] = t.add_resource(
            elb.ListenerRule(
                f"{title(spec.name)}ProductionRule",
                ListenerArn=Ref(https),
                Priority=LAST_PRIORITY,
                Conditions=[
                    elb.Condition(
                        Field="path-pattern",
                        PathPatternConfig=elb.PathPatternConfig(Values=["/*"]),
                    )
                ],
                Actions=[_rule_forward(targets[spec.name], alternates[spec.name])],
            )
        )
    return production


def _forward(group: Any) -> Any:
    return elb.Action(Type="forward", TargetGroupArn=Ref(group))


def _rule_forward(group: Any, alternate: Any | None) -> Any:
    if alternate is None:
        return elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(group))
    # ECS moves these weights during a canary; CloudFormation's 100/0 is only where it starts.
    pair = [
        elb.TargetGroupTuple(TargetGroupArn=Ref(group), Weight=100),
        elb.TargetGroupTuple(TargetGroupArn=Ref(alternate), Weight=0),
    ]
    return elb.ListenerRuleAction(
        Type="forward", ForwardConfig=elb.ForwardConfig(TargetGroups=pair)
    )


def alb_health(check: HealthCheck) -> dict[str, int]:
    """The manifest's check within the ALB's limits (interval 5-300s, timeout 2-120s and
    shorter than the interval, thresholds 2-10)."""
    interval = min(300, max(5, math.ceil(check.interval)))
    timeout = min(interval - 1, 120, max(2, math.ceil(check.timeout)))
    return {
        "HealthCheckIntervalSeconds": interval,
        "HealthCheckTimeoutSeconds": timeout,
        "HealthyThresholdCount": min(10, max(2, check.healthy)),
        "UnhealthyThresholdCount": min(10, max(2, check.unhealthy)),
    }


def _target_group(
    t: Template, env: Env, net: Network, spec: ServiceSpec, *, suffix: str = "Targets"
) -> Any:
    check = spec.health or HealthCheck()
    attributes = {
        "stickiness.enabled": "false",
        "deregistration_delay.timeout_seconds": str(int(spec.drain)),
    }
    return t.add_resource(
        elb.TargetGroup(
            f"{title(spec.name)}{suffix}",
            TargetType="ip",
            Protocol="HTTP",
            Port=CONTAINER_PORT,
            VpcId=Ref(net.vpc),
            HealthCheckEnabled=True,
            HealthCheckProtocol="HTTP",
            HealthCheckPath=check.path,
            Matcher=elb.Matcher(HttpCode="200-399"),
            TargetGroupAttributes=[
                elb.TargetGroupAttribute(Key=key, Value=value) for key, value in attributes.items()
            ],
            **alb_health(check),
        )
    )


def dns_records(t: Template, env: Env, edge_: Edge, cdn: Any) -> None:
    """With a hosted zone: the domain -> CloudFront (or the ALB); service hosts -> the ALB."""
    if env.aws.hosted_zone_id is None or env.domain is None:
        return
    alb_target = route53.AliasTarget(
        DNSName=GetAtt(edge_.alb, "DNSName"),
        HostedZoneId=GetAtt(edge_.alb, "CanonicalHostedZoneID"),
    )
    main = alb_target
    if cdn is not None:
        main = route53.AliasTarget(
            DNSName=GetAtt(cdn, "DomainName"),
            HostedZoneId="Z2FDTNDATAQYW2",  # CloudFront's zone
        )
    names: list[tuple[str, str | None, Any]] = [("DomainRecord", env.domain, main)]
    names += [(f"{title(spec.name)}Record", env.host(spec), alb_target) for spec in env.routed[1:]]
    for record_title, name, target in names:
        t.add_resource(
            route53.RecordSetType(
                record_title,
                HostedZoneId=env.aws.hosted_zone_id,
                Name=name,
                Type="A",
                AliasTarget=target,
            )
        )
