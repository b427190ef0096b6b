"""The shared stack `launchdeck-<app>`: one ECR repository per service, the bucket environment
templates too big to send inline go through (CloudFormation takes 51,200 bytes in a request; an
environment with many alerts passes that) and, with `aws.github`, the role GitHub Actions
deploys with (OIDC; no stored keys).

The deploy role can push images to the app's repositories and update its stacks, ECS services
and task definitions; changes to anything else in a stack (VPC, database...) need a person's
credentials, so a CI compromise cannot rebuild the infrastructure.
"""

from __future__ import annotations

import json
from typing import Any

from troposphere import Equals, GetAtt, If, Output, Parameter, Ref, Sub, Template, ecr, iam, s3

from launchdeck.domain import Manifest
from launchdeck.drivers.aws.names import (
    RUN,
    TEMPLATE_BUCKET_OUTPUT,
    log_group_name,
    parameter_prefix,
    repository_name,
    role_path,
    title,
)
from launchdeck.drivers.aws.synth.buckets import private_bucket
from launchdeck.drivers.aws.synth.iam import policy, statement

KEEP_IMAGES = 30
KEEP_TEMPLATES_DAYS = 30  # a change set reads its template once; older ones are history only
GITHUB_OIDC = "token.actions.githubusercontent.com"
GITHUB_THUMBPRINTS = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
]


def shared_template(manifest: Manifest, app: str) -> Template:
    t = Template(Description=f"launchdeck: {app} shared resources (image repositories, CI role)")
    for service in manifest.services:
        repo = t.add_resource(
            ecr.Repository(
                f"{title(service)}Repository",
                RepositoryName=repository_name(app, service),
                ImageTagMutability="IMMUTABLE",
                ImageScanningConfiguration=ecr.ImageScanningConfiguration(ScanOnPush=True),
                EncryptionConfiguration=ecr.EncryptionConfiguration(EncryptionType="KMS"),
                LifecyclePolicy=ecr.LifecyclePolicy(LifecyclePolicyText=_lifecycle()),
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
            )
        )
        t.add_output(Output(f"{title(service)}RepositoryUri", Value=GetAtt(repo, "RepositoryUri")))
    _template_bucket(t)
    if manifest.aws.github:
        _deploy_role(t, app, manifest.aws.github, canary=_any_canary(manifest))
    return t


def _any_canary(manifest: Manifest) -> bool:
    """Whether an environment deploys through ECS's canary (its services pass a role to ECS)."""
    deploys = [manifest.deploy, *(o.deploy for o in manifest.environments.values() if o.deploy)]
    return any(deploy.canary for deploy in deploys)


def _template_bucket(t: Template) -> None:
    expire = s3.LifecycleRule(
        Id="expire-templates",
        Status="Enabled",
        ExpirationInDays=KEEP_TEMPLATES_DAYS,
        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=1),
    )
    bucket = t.add_resource(
        private_bucket("TemplateBucket", ownership="BucketOwnerEnforced", expire=expire)
    )
    t.add_resource(
        s3.BucketPolicy(
            "TemplateBucketPolicy",
            Bucket=Ref(bucket),
            PolicyDocument=policy(
                [
                    statement(
                        "s3:*",
                        [GetAtt(bucket, "Arn"), Sub("${TemplateBucket.Arn}/*")],
                        principal="*",
                        condition={"Bool": {"aws:SecureTransport": "false"}},
                        effect="Deny",
                        sid="TlsOnly",
                    )
                ]
            ),
        )
    )
    t.add_output(Output(TEMPLATE_BUCKET_OUTPUT, Value=Ref(bucket)))


def _lifecycle() -> str:
    rule = {
        "rulePriority": 1,
        "description": f"keep the last {KEEP_IMAGES} images",
        "selection": {
            "tagStatus": "any",
            "countType": "imageCountMoreThan",
            "countNumber": KEEP_IMAGES,
        },
        "action": {"type": "expire"},
    }
    return json.dumps({"rules": [rule]})


def _deploy_role(t: Template, app: str, github: str, *, canary: bool) -> None:
    existing = t.add_parameter(
        Parameter(
            "GitHubOidcProviderArn",
            Type="String",
            Default="",
            Description="ARN of the account's GitHub OIDC provider; empty creates one "
            "(an account has at most one per URL)",
        )
    )
    t.add_condition("CreateOidcProvider", Equals(Ref(existing), ""))
    provider = t.add_resource(
        iam.OIDCProvider(
            "GitHubOidcProvider",
            Condition="CreateOidcProvider",
            Url=f"https://{GITHUB_OIDC}",
            ClientIdList=["sts.amazonaws.com"],
            ThumbprintList=GITHUB_THUMBPRINTS,
        )
    )
    trust = statement(
        "sts:AssumeRoleWithWebIdentity",
        None,
        principal={"Federated": If("CreateOidcProvider", Ref(provider), Ref(existing))},
        condition={
            "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{GITHUB_OIDC}:sub": f"repo:{github}:*"},
        },
    )
    role = t.add_resource(
        iam.Role(
            "DeployRole",
            Path=role_path(app),
            Description=f"GitHub Actions of {github} deploy {app}",
            MaxSessionDuration=3600,
            AssumeRolePolicyDocument=policy([trust]),
            Policies=[
                iam.Policy(
                    PolicyName="deploy",
                    PolicyDocument=policy(_deploy_statements(app, canary=canary)),
                )
            ],
        )
    )
    t.add_output(Output("DeployRoleArn", Value=GetAtt(role, "Arn")))


def _arn(service: str, resource: str) -> Any:
    return Sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def _deploy_statements(app: str, *, canary: bool) -> list[dict[str, Any]]:
    return [
        *_registry_statements(app),
        *_stack_statements(app),
        *_ecs_statements(app, canary=canary),
        *_record_and_run_statements(app),
        statement(  # a change set reads its template with the caller's rights
            ["s3:GetObject", "s3:PutObject"],
            Sub("${TemplateBucket.Arn}/*"),
            sid="StackTemplates",
        ),
    ]


def _registry_statements(app: str) -> list[dict[str, Any]]:
    return [
        statement("ecr:GetAuthorizationToken", "*", sid="RegistryLogin"),
        statement(
            [
                "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
                "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
                "ecr:PutImage", "ecr:UploadLayerPart",
            ],
            _arn("ecr", f"repository/{repository_name(app, '*')}"),
            sid="PushToTheAppsRepositories",
        ),
    ]  # fmt: skip


def _stack_statements(app: str) -> list[dict[str, Any]]:
    stacks = [_arn("cloudformation", f"stack/launchdeck-{app}/*"),
              _arn("cloudformation", f"stack/launchdeck-{app}-*/*")]  # fmt: skip
    return [
        statement(
            [
                "cloudformation:CreateChangeSet",
                "cloudformation:DeleteChangeSet",
                "cloudformation:DescribeChangeSet",
                "cloudformation:DescribeStackEvents",
                "cloudformation:DescribeStackResources",
                "cloudformation:DescribeStacks",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:GetTemplate",
                "cloudformation:UpdateStack",
            ],
            stacks,
            sid="UpdateTheAppsStacks",
        ),
    ]


def _record_and_run_statements(app: str) -> list[dict[str, Any]]:
    """The rollback record a deploy reads and clears (and a rollback writes), and the output of
    a one-off task (`aws run`, e.g. migrations from CI)."""
    return [
        statement(
            ["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"],
            _arn("ssm", f"parameter{parameter_prefix(app, '*')}/rolled-back-to"),
            sid="TheRollbackRecord",
        ),
        statement(
            "logs:GetLogEvents",
            _arn("logs", f"log-group:{log_group_name(app, '*', RUN)}:log-stream:*"),
            sid="FollowOneOffTasks",
        ),
    ]


def _ecs_statements(app: str, *, canary: bool) -> list[dict[str, Any]]:
    in_app_cluster = {"ArnLike": {"ecs:cluster": _arn("ecs", f"cluster/launchdeck-{app}-*")}}
    roles = Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{role_path(app)}*")
    passed_to_ecs = statement(  # a canary service's role on the load balancer, with each update
        "iam:PassRole",
        roles,
        condition={"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}},
        sid="PassTheAppsTrafficShiftRole",
    )
    return [
        statement(
            ["ecs:DescribeServices", "ecs:UpdateService", "ecs:DescribeTasks", "ecs:ListTasks"],
            [
                _arn("ecs", f"service/launchdeck-{app}-*/*"),
                _arn("ecs", f"task/launchdeck-{app}-*/*"),
            ],
            sid="DeployTheAppsServices",
        ),
        statement(
            [
                "ecs:RegisterTaskDefinition",
                "ecs:DeregisterTaskDefinition",
                "ecs:DescribeTaskDefinition",
            ],
            "*",  # ECS offers no resource-level permission for task definitions
            sid="RegisterTaskDefinitions",
        ),
        statement(
            "ecs:RunTask",
            _arn("ecs", f"task-definition/launchdeck-{app}-*:*"),
            condition=in_app_cluster,
            sid="RunTheReleaseCommand",
        ),
        statement(
            "iam:PassRole",
            roles,
            condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            sid="PassTheAppsTaskRoles",
        ),
        *([passed_to_ecs] if canary else []),
    ]
