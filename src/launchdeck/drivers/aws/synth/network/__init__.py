"""The VPC: public and private subnets over `azs` AZs, NAT per AZ or one, an S3 gateway endpoint
and flow logs to the log bucket. The security groups, and the default one emptied, are in
security.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troposphere import GetAtt, GetAZs, Join, Ref, Select, Sub, Tags, Template, ec2

from launchdeck.drivers.aws.synth.context import Env

VPC_CIDR = "10.0.0.0/16"


@dataclass(frozen=True)
class Network:
    vpc: Any
    public: list[Any]
    private: list[Any]
    private_routes: list[Any]
    nat_routes: list[Any]  # the private default routes: anything reaching out depends on them


def network(t: Template, env: Env, log_bucket: Any) -> Network:
    vpc = t.add_resource(
        ec2.VPC(
            "Vpc",
            CidrBlock=VPC_CIDR,
            EnableDnsHostnames=True,
            EnableDnsSupport=True,
            Tags=Tags(Name=env.stack),
        )
    )
    igw = t.add_resource(ec2.InternetGateway("InternetGateway", Tags=Tags(Name=env.stack)))
    attach = t.add_resource(
        ec2.VPCGatewayAttachment("GatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(igw))
    )
    public_routes = t.add_resource(ec2.RouteTable("PublicRoutes", VpcId=Ref(vpc)))
    t.add_resource(
        ec2.Route(
            "PublicDefaultRoute",
            DependsOn=attach,
            RouteTableId=Ref(public_routes),
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=Ref(igw),
        )
    )
    public = [_subnet(t, vpc, "Public", i, f"10.0.{i}.0/24", public_routes) for i in _azs(env)]
    nats = [_nat(t, public[i], i, attach) for i in range(_nat_count(env))]
    private, routes, defaults = _private(t, env, vpc, nats)
    t.add_resource(
        ec2.VPCEndpoint(
            "S3Endpoint",
            VpcId=Ref(vpc),
            ServiceName=Sub("com.amazonaws.${AWS::Region}.s3"),
            VpcEndpointType="Gateway",
            RouteTableIds=[Ref(table) for table in routes],
        )
    )
    t.add_resource(
        ec2.FlowLog(
            "FlowLog",
            ResourceId=Ref(vpc),
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="s3",
            LogDestination=Join("", [GetAtt(log_bucket, "Arn"), "/flow-logs/"]),
            MaxAggregationInterval=600,
        )
    )
    return Network(vpc, public, private, routes, defaults)


def _private(
    t: Template, env: Env, vpc: Any, nats: list[Any]
) -> tuple[list[Any], list[Any], list[Any]]:
    """Private subnets, their route tables and default routes (to the AZ's NAT, or the one)."""
    private, routes, defaults = [], [], []
    for i in _azs(env):
        table = t.add_resource(ec2.RouteTable(f"PrivateRoutes{i}", VpcId=Ref(vpc)))
        defaults.append(
            t.add_resource(
                ec2.Route(
                    f"PrivateDefaultRoute{i}",
                    RouteTableId=Ref(table),
                    DestinationCidrBlock="0.0.0.0/0",
                    NatGatewayId=Ref(nats[min(i, len(nats) - 1)]),
                )
            )
        )
        private.append(_subnet(t, vpc, "Private", i, f"10.0.{16 * (i + 1)}.0/20", table))
        routes.append(table)
    return private, routes, defaults


def _azs(env: Env) -> range:
    return range(env.aws.azs)


def _nat_count(env: Env) -> int:
    return env.aws.azs if env.aws.nat == "per-az" else 1


def _subnet(t: Template, vpc: Any, kind: str, i: int, cidr: str, table: Any) -> Any:
    subnet = t.add_resource(
        ec2.Subnet(
            f"{kind}Subnet{i}",
            VpcId=Ref(vpc),
            CidrBlock=cidr,
            AvailabilityZone=Select(i, GetAZs("")),
            MapPublicIpOnLaunch=False,
            Tags=Tags(Name=Sub(f"${{AWS::StackName}}-{kind.lower()}-{i}")),
        )
    )
    t.add_resource(
        ec2.SubnetRouteTableAssociation(
            f"{kind}Subnet{i}Routes", SubnetId=Ref(subnet), RouteTableId=Ref(table)
        )
    )
    return subnet


def _nat(t: Template, subnet: Any, i: int, attach: Any) -> Any:
    eip = t.add_resource(ec2.EIP(f"NatAddress{i}", Domain="vpc", DependsOn=attach))
    return t.add_resource(
        ec2.NatGateway(f"Nat{i}", AllocationId=GetAtt(eip, "AllocationId"), SubnetId=Ref(subnet))
    )
