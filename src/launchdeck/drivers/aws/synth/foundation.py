"""The environment's KMS key and its log bucket (ALB and CloudFront access logs, VPC flow logs)."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Join, Ref, Sub, Template, kms, s3

from launchdeck.drivers.aws.synth.buckets import private_bucket
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.iam import account_root, policy, statement


def key(t: Template, env: Env) -> Any:
    """One customer-managed key for the stack's logs, secrets, topic, queue and database."""
    log_groups = Sub(
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
        f"/launchdeck/{env.app}/{env.name}/*"
    )
    statements = [
        statement("kms:*", "*", principal={"AWS": account_root()}, sid="AccountAdministers"),
        statement(
            [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "*",
            principal={"Service": Sub("logs.${AWS::Region}.amazonaws.com")},
            condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            sid="LogsEncryptTheStacksLogGroups",
        ),
        statement(
            ["kms:Decrypt", "kms:GenerateDataKey*"],
            "*",
            principal={"Service": "cloudwatch.amazonaws.com"},
            condition={"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}},
            sid="AlarmsPublishToTheEncryptedTopic",
        ),
    ]
    return t.add_resource(
        kms.Key(
            "Key",
            Description=f"launchdeck {env.app} {env.name}: logs, secrets, alerts, database",
            EnableKeyRotation=True,
            KeyPolicy=policy(statements),
        )
    )


def log_bucket(t: Template, env: Env) -> Any:
    acls = "BucketOwnerPreferred" if env.aws.cloudfront else "BucketOwnerEnforced"
    expire = s3.LifecycleRule(
        Id="expire-logs",
        Status="Enabled",
        ExpirationInDays=env.aws.log_retention_days,
        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=7),
        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
    )
    bucket = t.add_resource(
        private_bucket(
            "LogBucket",
            ownership=acls,
            expire=expire,
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    t.add_resource(
        s3.BucketPolicy(
            "LogBucketPolicy", Bucket=Ref(bucket), PolicyDocument=policy(_log_delivery(env, bucket))
        )
    )
    return bucket


def _log_delivery(env: Env, bucket: Any) -> list[dict[str, Any]]:
    arn = GetAtt(bucket, "Arn")

    def objects(prefix: str) -> Any:
        return Join("", [arn, f"/{prefix}/AWSLogs/", Ref("AWS::AccountId"), "/*"])

    elb = (
        {"AWS": f"arn:aws:iam::{env.region.elb_account}:root"}
        if env.region.elb_account
        else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    )
    source = {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}
    return [
        statement("s3:PutObject", objects("alb"), principal=elb, sid="LoadBalancerLogs"),
        statement(
            "s3:PutObject",
            objects("flow-logs"),
            principal={"Service": "delivery.logs.amazonaws.com"},
            condition={
                "StringEquals": {
                    "aws:SourceAccount": Ref("AWS::AccountId"),
                    "s3:x-amz-acl": "bucket-owner-full-control",
                }
            },
            sid="FlowLogsWrite",
        ),
        statement(
            ["s3:GetBucketAcl", "s3:ListBucket"],
            arn,
            principal={"Service": "delivery.logs.amazonaws.com"},
            condition=source,
            sid="FlowLogsCheckAcl",
        ),
        statement(
            "s3:*",
            [arn, Join("", [arn, "/*"])],
            principal="*",
            condition={"Bool": {"aws:SecureTransport": "false"}},
            effect="Deny",
            sid="DenyPlainHttp",
        ),
    ]
