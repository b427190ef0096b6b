"""Security groups (internet -> ALB -> app -> database/cache, nothing else), the default security
group emptied, and an SSM Session Manager bastion for reaching the database: no SSH anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troposphere import GetAtt, Parameter, Ref, Sub, Tags, Template, cloudformation, ec2
from troposphere import iam as tiam

from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.iam import managed_policy, role, statement
from launchdeck.drivers.aws.synth.lambdas import RESTRICT_DEFAULT_SG, function
from launchdeck.drivers.aws.synth.naming import CONTAINER_PORT
from launchdeck.drivers.aws.synth.network import Network

# An egress rule no packet matches: without one, a security group allows all egress.
_NO_EGRESS = ec2.SecurityGroupRule(
    CidrIp="255.255.255.255/32",
    IpProtocol="icmp",
    FromPort=252,
    ToPort=86,
    Description="No egress",
)
BASTION_AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"


@dataclass(frozen=True)
class Groups:
    alb: Any | None  # None when no service has a port
    app: Any
    db: Any | None
    cache: Any | None
    bastion: Any | None


def groups(t: Template, env: Env, net: Network) -> Groups:
    vpc = Ref(net.vpc)
    app = _group(t, "AppSecurityGroup", "App tasks: traffic from the load balancer only", vpc)
    alb = None
    if env.routed:
        alb = _group(t, "AlbSecurityGroup", "Load balancer: HTTP and HTTPS from anywhere", vpc, [
            _cidr_rule(443, "HTTPS from anywhere"),
            _cidr_rule(80, "HTTP from anywhere; redirected to HTTPS"),
        ])  # fmt: skip
        _allow(t, "AlbToApp", alb, app, CONTAINER_PORT, "Load balancer to app tasks")
    _https_out(
        t, "AppToInternet", app, "HTTPS to AWS APIs, the image registry and third-party APIs"
    )
    addons = env.manifest.addons
    if addons.postgres is None and addons.redis is None:
        return Groups(alb, app, None, None, None)
    bastion = _group(t, "BastionSecurityGroup", "Session Manager bastion: no ingress", vpc)
    _https_out(t, "BastionToSsm", bastion, "HTTPS to Systems Manager")
    db = cache = None
    if addons.postgres is not None:
        db = _group(t, "DatabaseSecurityGroup", "PostgreSQL: from app tasks and bastion", vpc, [])
        _allow(t, "AppToDatabase", app, db, 5432, "App tasks to PostgreSQL")
        _allow(t, "BastionToDatabase", bastion, db, 5432, "Bastion to PostgreSQL")
    if addons.redis is not None:
        cache = _group(t, "CacheSecurityGroup", "Redis: from app tasks and bastion", vpc, [])
        _allow(t, "AppToCache", app, cache, 6379, "App tasks to Redis")
        _allow(t, "BastionToCache", bastion, cache, 6379, "Bastion to Redis")
    return Groups(alb, app, db, cache, bastion)


def _group(
    t: Template, title: str, description: str, vpc: Any, ingress: list[Any] | None = None
) -> Any:
    props: dict[str, Any] = {
        "GroupDescription": description,
        "VpcId": vpc,
        "SecurityGroupEgress": [_NO_EGRESS],
        "Tags": Tags(Name=Sub(f"${{AWS::StackName}}-{title}")),
    }
    if ingress:
        props["SecurityGroupIngress"] = ingress
    return t.add_resource(ec2.SecurityGroup(title, **props))


def _cidr_rule(port: int, description: str) -> Any:
    return ec2.SecurityGroupRule(
        IpProtocol="tcp", FromPort=port, ToPort=port, CidrIp="0.0.0.0/0", Description=description
    )


def _https_out(t: Template, title: str, group: Any, description: str) -> None:
    """`group` may open HTTPS connections to anywhere (AWS APIs have no fixed addresses)."""
    t.add_resource(
        ec2.SecurityGroupEgress(
            title,
            GroupId=Ref(group),
            IpProtocol="tcp",
            FromPort=443,
            ToPort=443,
            CidrIp="0.0.0.0/0",
            Description=description,
        )
    )


def _allow(t: Template, title: str, source: Any, target: Any, port: int, description: str) -> None:
    """`source` may open connections to `target` on `port` (both rules, so neither is wider)."""
    common = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "Description": description}
    t.add_resource(
        ec2.SecurityGroupEgress(
            f"{title}Egress", GroupId=Ref(source), DestinationSecurityGroupId=Ref(target), **common
        )
    )
    t.add_resource(
        ec2.SecurityGroupIngress(
            f"{title}Ingress", GroupId=Ref(target), SourceSecurityGroupId=Ref(source), **common
        )
    )


def restrict_default_group(t: Template, env: Env, net: Network, key: Any) -> None:
    """Remove every rule of the VPC's default security group (CloudFormation cannot)."""
    group = GetAtt(net.vpc, "DefaultSecurityGroup")
    group_arn = Sub(
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${Group}",
        Group=group,
    )
    fn = function(
        t,
        env,
        "DefaultGroupRestrictor",
        RESTRICT_DEFAULT_SG,
        key,
        [
            statement("ec2:DescribeSecurityGroups", "*"),
            statement(
                ["ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"], group_arn
            ),
        ],
        description="Empties the VPC's default security group",
    )
    t.add_resource(
        cloudformation.CustomResource(
            "DefaultGroupRestricted", ServiceToken=GetAtt(fn, "Arn"), GroupId=group
        )
    )


def bastion(t: Template, env: Env, net: Network, groups_: Groups) -> Any:
    if groups_.bastion is None:
        return None
    ami = t.add_parameter(
        Parameter(
            "BastionImage",
            Type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            Default=BASTION_AMI,
            Description="Amazon Linux image of the Session Manager bastion",
        )
    )
    bastion_role = role(
        t, "BastionRole", env.app, "ec2.amazonaws.com",
        managed=[managed_policy("AmazonSSMManagedInstanceCore")],
    )  # fmt: skip
    profile = t.add_resource(
        tiam.InstanceProfile(
            "BastionProfile", Path=f"/launchdeck/{env.app}/", Roles=[Ref(bastion_role)]
        )
    )
    return t.add_resource(
        ec2.Instance(
            "Bastion",
            ImageId=Ref(ami),
            InstanceType="t4g.nano",
            IamInstanceProfile=Ref(profile),
            SubnetId=Ref(net.private[0]),
            SecurityGroupIds=[Ref(groups_.bastion)],
            Monitoring=True,
            EbsOptimized=True,
            MetadataOptions=ec2.MetadataOptions(
                HttpTokens="required", HttpEndpoint="enabled", HttpPutResponseHopLimit=1
            ),
            BlockDeviceMappings=[
                ec2.BlockDeviceMapping(
                    DeviceName="/dev/xvda",
                    Ebs=ec2.EbsBlockDevice(VolumeType="gp3", VolumeSize=8, Encrypted=True),
                )
            ],
            Tags=Tags(Name=Sub("${AWS::StackName}-bastion")),
            DependsOn=net.nat_routes,
        )
    )
