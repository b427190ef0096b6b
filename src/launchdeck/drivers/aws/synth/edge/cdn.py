"""CloudFront in front of the ALB: `static_paths` cached (CachingOptimized), everything else
passed through uncached with every viewer header (CachingDisabled + AllViewer). Viewers reach it
on the environment's domain; it reaches the ALB over HTTPS with the viewer's Host header, which
the ALB's certificate covers."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Template, cloudfront

from launchdeck.drivers.aws.synth.context import Env

# AWS managed policies (the same IDs in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
ORIGIN = "alb"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]


def distribution(t: Template, env: Env, alb: Any, certificate: Any, logs: Any) -> Any:
    settings = env.aws.cloudfront
    if settings is None:
        return None
    assert env.domain is not None  # validate() requires it
    viewer_cert = settings.certificate_arn or certificate  # us-east-1: the ALB's serves both
    static = [
        cloudfront.CacheBehavior(
            PathPattern=path,
            TargetOriginId=ORIGIN,
            ViewerProtocolPolicy="redirect-to-https",
            AllowedMethods=["GET", "HEAD"],
            CachedMethods=["GET", "HEAD"],
            CachePolicyId=CACHING_OPTIMIZED,
            ResponseHeadersPolicyId=SECURITY_HEADERS,
            Compress=True,
        )
        for path in settings.static_paths
    ]
    config = cloudfront.DistributionConfig(
        Enabled=True,
        Comment=f"launchdeck {env.app} {env.name}",
        Aliases=[env.domain],
        HttpVersion="http2and3",
        IPV6Enabled=True,
        PriceClass="PriceClass_100",
        ViewerCertificate=cloudfront.ViewerCertificate(
            AcmCertificateArn=viewer_cert,
            SslSupportMethod="sni-only",
            MinimumProtocolVersion="TLSv1.2_2021",
        ),
        Origins=[
            cloudfront.Origin(
                Id=ORIGIN,
                DomainName=GetAtt(alb, "DNSName"),
                CustomOriginConfig=cloudfront.CustomOriginConfig(
                    OriginProtocolPolicy="https-only",
                    OriginSSLProtocols=["TLSv1.2"],
                ),
            )
        ],
        DefaultCacheBehavior=cloudfront.DefaultCacheBehavior(
            TargetOriginId=ORIGIN,
            ViewerProtocolPolicy="redirect-to-https",
            AllowedMethods=ALL_METHODS,
            CachedMethods=["GET", "HEAD"],
            CachePolicyId=CACHING_DISABLED,
            OriginRequestPolicyId=ALL_VIEWER,
            ResponseHeadersPolicyId=SECURITY_HEADERS,
            Compress=True,
        ),
        CacheBehaviors=static or None,
        Logging=cloudfront.Logging(
            Bucket=GetAtt(logs, "DomainName"), Prefix="cloudfront/", IncludeCookies=False
        ),
    )
    if not static:
        config.properties.pop("CacheBehaviors")
    return t.add_resource(cloudfront.Distribution("Cdn", DistributionConfig=config))
