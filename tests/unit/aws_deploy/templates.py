"""Small templates that keep the deploy contract (parameters, outputs) for the fakes to run."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from launchdeck.drivers.aws.names import title


def shared_template(app: str = "shop", services: Sequence[str] = ("web", "worker")) -> str:
    resources = {
        f"{title(s)}Repository": {
            "Type": "AWS::ECR::Repository",
            "Properties": {"RepositoryName": f"launchdeck/{app}/{s}"},
        }
        for s in services
    }
    resources["DeployRole"] = {"Type": "AWS::IAM::Role", "Properties": {}}
    outputs = {"DeployRoleArn": {"Value": "arn"}, "TemplateBucket": {"Value": f"{app}-templates"}}
    return json.dumps({"Resources": resources, "Outputs": outputs})


def env_template(
    app: str = "shop",
    env: str = "staging",
    services: Sequence[str] = ("web", "worker"),
    *,
    extra_parameters: Mapping[str, object] | None = None,
    memory: str = "512",
) -> str:
    prefix = f"{app}-{env}"
    resources: dict[str, object] = {"Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {}}}
    outputs: dict[str, object] = {
        "ClusterName": {"Value": prefix},
        "LoadBalancerDns": {"Value": f"{prefix}.elb.example"},
        "Url": {"Value": f"https://{prefix}.elb.example"},
        "PrivateSubnetIds": {"Value": "subnet-a,subnet-b"},
        "AppSecurityGroupId": {"Value": "sg-app"},
        "RunTaskFamily": {"Value": f"{prefix}-run"},
        "RunLogGroup": {"Value": f"/launchdeck/{prefix}/run"},
    }
    for s in services:
        t = title(s)
        resources[f"{t}TaskDefinition"] = {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": f"{prefix}-{s}",
                "Memory": memory,
                "Image": {"Ref": "ImageDigest"},
            },
        }
        resources[f"{t}Service"] = {"Type": "AWS::ECS::Service", "Properties": {}}
        resources[f"{t}LogGroup"] = {"Type": "AWS::Logs::LogGroup", "Properties": {}}
        outputs[f"{t}ServiceName"] = {"Value": f"{prefix}-{s}"}
        outputs[f"{t}TaskFamily"] = {"Value": f"{prefix}-{s}"}
        outputs[f"{t}LogGroup"] = {"Value": f"/launchdeck/{prefix}/{s}"}
    parameters = {"ImageDigest": {"Type": "String"}, **(extra_parameters or {})}
    return json.dumps({"Parameters": parameters, "Resources": resources, "Outputs": outputs})
