"""The one shape of S3 bucket launchdeck makes: encrypted (SSE-S3: ALB access logs take nothing
else), versioned, public access blocked, objects expired by one lifecycle rule."""

from __future__ import annotations

from typing import Any

from troposphere import s3


def private_bucket(
    title: str, *, ownership: str, expire: s3.LifecycleRule, **policies: Any
) -> s3.Bucket:
    """`ownership`: S3's object ownership setting; `policies`: DeletionPolicy and the like."""
    return s3.Bucket(
        title,
        BucketEncryption=s3.BucketEncryption(
            ServerSideEncryptionConfiguration=[
                s3.ServerSideEncryptionRule(
                    ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                        SSEAlgorithm="AES256"
                    )
                )
            ]
        ),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        OwnershipControls=s3.OwnershipControls(
            Rules=[s3.OwnershipControlsRule(ObjectOwnership=ownership)]
        ),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[expire]),
        **policies,
    )
