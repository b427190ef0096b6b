"""The synthesized stacks: the contract with the deploy side, and what each part must contain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from launchdeck.drivers.aws.synth import (
    stack_names,
    synth_env,
    synth_shared,
    title,
    to_json,
    write,
)
from launchdeck.manifest import parse_manifest
from tests.unit.aws_synth.variants import manifest

DIGEST = "^sha256:[0-9a-f]{64}$"


def env_stack(name: str, env: str = "production") -> dict[str, Any]:
    template: dict[str, Any] = synth_env(manifest(name), env).to_dict()
    return template


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        key: resource["Properties"]
        for key, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def container(template: dict[str, Any], service: str) -> dict[str, Any]:
    task = template["Resources"][f"{title(service)}Task"]["Properties"]
    found: dict[str, Any] = task["ContainerDefinitions"][0]
    return found


def env_vars(entry: dict[str, Any]) -> dict[str, Any]:
    return {item["Name"]: item["Value"] for item in entry["Environment"]}


def test_stack_names() -> None:
    assert stack_names("shop", "staging") == ("launchdeck-shop", "launchdeck-shop-staging")


def test_parameters_other_than_the_contract_have_defaults() -> None:
    for name in ("hello", "web", "full", "cdn"):
        params = env_stack(name)["Parameters"]
        assert params["ImageDigest"]["Type"] == "String"
        assert params["ImageDigest"]["AllowedPattern"] == DIGEST
        required = {key for key, param in params.items() if "Default" not in param}
        assert required <= {"ImageDigest", "CertificateArn"}, name


def test_certificate_parameter_only_without_a_domain_or_arn() -> None:
    assert "CertificateArn" in env_stack("hello")["Parameters"]
    assert "CertificateArn" not in env_stack("full")["Parameters"]
    certs = of_type(env_stack("full"), "AWS::CertificateManager::Certificate")
    assert certs["Certificate"]["DomainName"] == "shop.example.com"
    staging = of_type(env_stack("full", "staging"), "AWS::CertificateManager::Certificate")
    assert staging["Certificate"]["DomainName"] == "staging.shop.example.com"


def test_outputs_name_the_cluster_services_families_log_groups_and_url() -> None:
    outputs = env_stack("full")["Outputs"]
    assert {"ClusterName", "LoadBalancerDns", "Url"} <= set(outputs)
    for service in ("Web", "Worker"):
        assert {f"{service}ServiceName", f"{service}TaskFamily", f"{service}LogGroup"} <= set(
            outputs
        )
    assert outputs["WorkerTaskFamily"]["Value"] == "launchdeck-shop-production-worker"
    assert outputs["Url"]["Value"] == "https://shop.example.com"
    hello = env_stack("hello")["Outputs"]["Url"]["Value"]
    assert hello == {"Fn::Join": ["", ["https://", {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}]]}


def test_names_of_cluster_family_and_log_group() -> None:
    template = env_stack("hello", "staging")
    assert (
        template["Resources"]["Cluster"]["Properties"]["ClusterName"] == "launchdeck-hello-staging"
    )
    task = template["Resources"]["WebTask"]["Properties"]
    assert task["Family"] == "launchdeck-hello-staging-web"
    logs = template["Resources"]["WebLogs"]["Properties"]
    assert logs["LogGroupName"] == "/launchdeck/hello/staging/web"
    assert template["Resources"]["WebService"]["Properties"]["ServiceName"] == "web"


def test_every_service_runs_the_one_image_by_digest_through_sh() -> None:
    entry = container(env_stack("full"), "worker")
    assert entry["Image"] == {
        "Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/"
        "launchdeck/shop/worker@${ImageDigest}"
    }
    assert entry["EntryPoint"] == ["sh", "-c"]
    assert entry["Command"] == ["celery -A shop worker"]
    assert entry["ReadonlyRootFilesystem"] is True and entry["Privileged"] is False


def test_task_size_comes_from_resources_and_defaults_to_the_smallest() -> None:
    full = env_stack("full")["Resources"]
    assert (full["WebTask"]["Properties"]["Cpu"], full["WebTask"]["Properties"]["Memory"]) == (
        "512",
        "1024",
    )
    hello = env_stack("hello")["Resources"]["WebTask"]["Properties"]
    assert (hello["Cpu"], hello["Memory"]) == ("256", "512")


def test_config_goes_to_environment_and_secrets_to_valuefrom() -> None:
    entry = container(env_stack("full"), "web")
    values = env_vars(entry)
    assert values["LOG_LEVEL"] == "info"
    assert values["PORT"] == "8080" and values["LAUNCHDECK_ENV"] == "production"
    assert values["LAUNCHDECK_BUILD"] == {"Ref": "ImageDigest"}
    assert values["PGUSER"] == "launchdeck" and values["PGDATABASE"] == "shop"
    secrets = {item["Name"]: item["ValueFrom"] for item in entry["Secrets"]}
    assert secrets["STRIPE_KEY"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
        "/launchdeck/shop/production/STRIPE_KEY"
    }
    assert secrets["PGPASSWORD"] == {
        "Fn::Join": [
            "",
            [{"Fn::GetAtt": ["Database", "MasterUserSecret.SecretArn"]}, ":password::"],
        ]
    }
    assert secrets["REDIS_URL"] == {"Ref": "CacheUrl"}


def test_execution_role_reads_only_this_environments_parameters() -> None:
    role = env_stack("full")["Resources"]["ExecutionRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    ssm = next(s for s in statements if s["Action"] == "ssm:GetParameters")
    assert ssm["Resource"]["Fn::Sub"].endswith(":parameter/launchdeck/shop/production/*")
    assert all(
        s["Resource"] != "*" for s in statements if s["Action"] != "ecr:GetAuthorizationToken"
    )


def test_nat_per_az_or_single() -> None:
    assert len(of_type(env_stack("full"), "AWS::EC2::NatGateway")) == 3
    assert len(of_type(env_stack("full", "staging"), "AWS::EC2::NatGateway")) == 1
    assert len(of_type(env_stack("cdn"), "AWS::EC2::NatGateway")) == 1
    assert len(of_type(env_stack("hello"), "AWS::EC2::Subnet")) == 4


def test_production_is_protected_and_staging_is_cheaper() -> None:
    prod, staging = env_stack("full"), env_stack("full", "staging")
    assert prod["Resources"]["Database"]["Properties"]["MultiAZ"] is True
    assert staging["Resources"]["Database"]["Properties"]["MultiAZ"] is False
    assert prod["Resources"]["Cache"]["Properties"]["AutomaticFailoverEnabled"] is True
    assert staging["Resources"]["Cache"]["Properties"]["NumCacheClusters"] == 1

    def protection(template: dict[str, Any]) -> str:
        attributes = template["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]
        return next(a["Value"] for a in attributes if a["Key"] == "deletion_protection.enabled")

    assert (protection(prod), protection(staging)) == ("true", "false")


def test_database_settings() -> None:
    db = env_stack("full")["Resources"]["Database"]["Properties"]
    assert db["EngineVersion"].startswith("16.")
    assert db["DBInstanceClass"] == "db.t4g.small"
    assert db["StorageEncrypted"] and db["ManageMasterUserPassword"] and db["DeletionProtection"]
    assert db["BackupRetentionPeriod"] >= 7 and db["EnableIAMDatabaseAuthentication"]
    assert db["PubliclyAccessible"] is False


def test_health_check_drain_and_deployment_follow_the_manifest() -> None:
    template = env_stack("full")
    group = template["Resources"]["WebTargets"]["Properties"]
    assert group["HealthCheckPath"] == "/health"
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (10, 3)
    attributes = {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}
    assert attributes == {
        "deregistration_delay.timeout_seconds": "15",
        "stickiness.enabled": "false",
    }
    service = template["Resources"]["WebService"]["Properties"]
    deployment = service["DeploymentConfiguration"]
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (100, 200)
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert service["HealthCheckGracePeriodSeconds"] == 30
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"


def test_health_check_is_held_within_the_albs_limits() -> None:
    group = env_stack("hello")["Resources"]["WebTargets"]["Properties"]
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (5, 2)


def scaling(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Policy title -> its TargetTrackingScalingPolicyConfiguration."""
    policies = of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    return {key: p["TargetTrackingScalingPolicyConfiguration"] for key, p in policies.items()}


def synth_text(text: str, env: str = "production") -> dict[str, Any]:
    template: dict[str, Any] = synth_env(parse_manifest(text), env).to_dict()
    return template


WEB = 'app = "shop"\n[services.web]\ncommand = "serve"\nport = true\n'
ALB_DIMENSIONS = (
    {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]},
    {"Fn::GetAtt": ["WebTargets", "TargetGroupFullName"]},
)


def test_autoscaling_from_scale() -> None:
    template = env_stack("full")
    target = template["Resources"]["WebScaling"]["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (3, 20)
    config = scaling(template)
    assert config["WebCpuScaling"]["TargetValue"] == 60.0
    assert config["WebRequestScaling"]["TargetValue"] == 50.0 * 60
    assert "DesiredCount" not in template["Resources"]["WebService"]["Properties"]
    assert template["Resources"]["WorkerService"]["Properties"]["DesiredCount"] == 1


def test_the_shorthand_in_scale_makes_the_template_it_made() -> None:
    # As before autoscale, but for the scale-out cooldown: the policy's default (15s), was 60s.
    template = env_stack("full", "staging")
    assert template["Resources"]["WebScaling"]["Properties"] == {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": {
            "Fn::Join": [
                "/",
                ["service", "launchdeck-shop-staging", {"Fn::GetAtt": ["WebService", "Name"]}],
            ]
        },
        "MinCapacity": 2,
        "MaxCapacity": 8,
    }
    assert scaling(template) == {
        "WebCpuScaling": {
            "TargetValue": 60.0,
            "ScaleOutCooldown": 15,
            "ScaleInCooldown": 300,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
            },
        },
        "WebRequestScaling": {
            "TargetValue": 3000.0,
            "ScaleOutCooldown": 15,
            "ScaleInCooldown": 300,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ALBRequestCountPerTarget",
                "ResourceLabel": {"Fn::Join": ["/", list(ALB_DIMENSIONS)]},
            },
        },
    }
    workers = env_stack("workers")
    assert workers["Resources"]["WorkerScaling"]["Properties"]["MinCapacity"] == 2
    assert workers["Resources"]["WorkerScaling"]["Properties"]["MaxCapacity"] == 6
    assert set(scaling(workers)) == {"WorkerCpuScaling"}


def capacity(template: dict[str, Any], target: str) -> tuple[int, int]:
    props = template["Resources"][target]["Properties"]
    return props["MinCapacity"], props["MaxCapacity"]


def test_autoscale_table_sets_bounds_cooldowns_and_targets_per_environment() -> None:
    production, staging = env_stack("cdn"), env_stack("cdn", "staging")
    assert capacity(production, "ApiV2Scaling") == (2, 10)
    assert capacity(staging, "ApiV2Scaling") == (2, 4)
    config = scaling(production)
    assert set(config) == {"ApiV2CpuScaling", "ApiV2P95Scaling"}
    cpu = config["ApiV2CpuScaling"]
    assert (cpu["TargetValue"], cpu["ScaleOutCooldown"], cpu["ScaleInCooldown"]) == (70.0, 30, 600)
    assert "DesiredCount" not in production["Resources"]["ApiV2Service"]["Properties"]
    assert production["Resources"]["WebService"]["Properties"]["DesiredCount"] == 2


def test_max_step_is_left_out_target_tracking_has_no_steps() -> None:
    policies = of_type(env_stack("cdn"), "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert {p["PolicyType"] for p in policies.values()} == {"TargetTrackingScaling"}
    for policy in policies.values():
        assert "StepScalingPolicyConfiguration" not in policy
        assert set(policy["TargetTrackingScalingPolicyConfiguration"]) - {
            "PredefinedMetricSpecification",
            "CustomizedMetricSpecification",
        } == {"TargetValue", "ScaleOutCooldown", "ScaleInCooldown"}


def test_requests_per_instance_are_counted_per_minute() -> None:
    table = "[services.web.autoscale]\nmin = 1\nmax = 4\ntarget = { requests_per_instance = 40 }\n"
    config = scaling(synth_text(WEB + table))
    assert config == {
        "WebRequestScaling": {
            "TargetValue": 2400.0,
            "ScaleOutCooldown": 15,
            "ScaleInCooldown": 300,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ALBRequestCountPerTarget",
                "ResourceLabel": {"Fn::Join": ["/", list(ALB_DIMENSIONS)]},
            },
        }
    }


def test_p95_ms_tracks_the_target_groups_response_time_in_seconds() -> None:
    table = "[services.web.autoscale]\nmin = 1\nmax = 4\ntarget = { p95_ms = 300 }\n"
    config = scaling(synth_text(WEB + table))["WebP95Scaling"]
    assert config["TargetValue"] == 0.3
    balancer, group = ALB_DIMENSIONS
    # A percentile only in the Metrics form: the older Statistic field takes no "p95".
    assert config["CustomizedMetricSpecification"] == {
        "Metrics": [
            {
                "Id": "p95",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ApplicationELB",
                        "MetricName": "TargetResponseTime",
                        "Dimensions": [
                            {"Name": "LoadBalancer", "Value": balancer},
                            {"Name": "TargetGroup", "Value": group},
                        ],
                    },
                    "Stat": "p95",
                },
                "ReturnData": True,
            }
        ]
    }


def test_each_target_is_a_policy_on_the_one_scalable_target() -> None:
    table = (
        "[services.web.autoscale]\nmin = 2\nmax = 8\n"
        'target = { cpu = "55%", requests_per_instance = 20, p95_ms = 180 }\n'
    )
    template = synth_text(WEB + table)
    assert list(of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget")) == ["WebScaling"]
    policies = of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert {key: p["ScalingTargetId"] for key, p in policies.items()} == {
        "WebCpuScaling": {"Ref": "WebScaling"},
        "WebRequestScaling": {"Ref": "WebScaling"},
        "WebP95Scaling": {"Ref": "WebScaling"},
    }
    values = {key: c["TargetValue"] for key, c in scaling(template).items()}
    assert values == {"WebCpuScaling": 55.0, "WebRequestScaling": 1200.0, "WebP95Scaling": 0.18}


def test_other_routed_services_answer_on_their_host() -> None:
    template = env_stack("cdn")
    rule = template["Resources"]["ApiV2HostRule"]["Properties"]
    assert rule["Conditions"][0]["HostHeaderConfig"]["Values"] == ["api-v2.store.example.com"]
    cert = template["Resources"]["Certificate"]["Properties"]
    assert cert["SubjectAlternativeNames"] == ["api-v2.store.example.com"]
    records = of_type(template, "AWS::Route53::RecordSet")
    assert {r["Name"] for r in records.values()} == {
        "store.example.com",
        "api-v2.store.example.com",
    }


def test_cloudfront_caches_only_the_static_paths() -> None:
    config = env_stack("cdn")["Resources"]["Cdn"]["Properties"]["DistributionConfig"]
    assert [b["PathPattern"] for b in config["CacheBehaviors"]] == [
        "/_next/static/*",
        "/favicon.ico",
    ]
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["Origins"][0]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert config["Aliases"] == ["store.example.com"]


def test_alarms_reach_slack_through_an_encrypted_topic() -> None:
    template = env_stack("full")
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    assert {"ServerErrors", "SlowResponses", "WebUnhealthyHosts", "WorkerCpuHigh",
            "WorkerMemoryHigh", "DatabaseCpuHigh", "DatabaseStorageLow"} <= set(alarms)  # fmt: skip
    assert all(a["AlarmActions"] == [{"Ref": "Alerts"}] for a in alarms.values())
    assert "KmsMasterKeyId" in template["Resources"]["Alerts"]["Properties"]
    notifier = template["Resources"]["SlackNotifier"]["Properties"]
    variables = notifier["Environment"]["Variables"]
    assert variables["WEBHOOK_SECRET"] == "launchdeck/shop/slack-webhook"
    assert (
        env_stack("cdn")["Resources"]["SlackNotifier"]["Properties"]["Environment"]["Variables"][
            "WEBHOOK_SECRET"
        ]
        == "ops/slack"
    )


def test_slack_notifier_code_compiles() -> None:
    from launchdeck.drivers.aws.synth.lambdas.code import RESTRICT_DEFAULT_SG, SLACK_NOTIFIER

    compile(SLACK_NOTIFIER, "notifier", "exec")
    compile(RESTRICT_DEFAULT_SG, "restrictor", "exec")


def test_no_ssh_and_no_open_ingress_but_the_albs() -> None:
    template = env_stack("full")
    for key, group in of_type(template, "AWS::EC2::SecurityGroup").items():
        for rule in group.get("SecurityGroupIngress", []):
            assert key == "AlbSecurityGroup" and rule["FromPort"] in (80, 443)
    for rule in of_type(template, "AWS::EC2::SecurityGroupIngress").values():
        assert "CidrIp" not in rule and rule["FromPort"] != 22
    bastion = template["Resources"]["Bastion"]["Properties"]
    assert bastion["MetadataOptions"]["HttpTokens"] == "required" and "KeyName" not in bastion


def test_shared_stack_repositories_and_deploy_role() -> None:
    template = synth_shared(manifest("full")).to_dict()
    repos = of_type(template, "AWS::ECR::Repository")
    assert {r["RepositoryName"] for r in repos.values()} == {
        "launchdeck/shop/web",
        "launchdeck/shop/worker",
    }
    repo = repos["WebRepository"]
    assert repo["ImageTagMutability"] == "IMMUTABLE"
    assert repo["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert (
        json.loads(repo["LifecyclePolicy"]["LifecyclePolicyText"])["rules"][0]["selection"][
            "countNumber"
        ]
        == 30
    )
    assert template["Conditions"]["CreateOidcProvider"] == {
        "Fn::Equals": [{"Ref": "GitHubOidcProviderArn"}, ""]
    }
    trust = template["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]
    condition = trust["Statement"][0]["Condition"]
    assert condition["StringLike"] == {
        "token.actions.githubusercontent.com:sub": "repo:shop-inc/shop:*"
    }
    assert "DeployRoleArn" in template["Outputs"]
    statements = template["Resources"]["DeployRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    [templates] = [s for s in statements if s.get("Sid") == "StackTemplates"]
    assert templates["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert templates["Resource"] == {"Fn::Sub": "${TemplateBucket.Arn}/*"}


def test_the_shared_stack_keeps_big_templates_private_and_briefly() -> None:
    template = synth_shared(manifest("web")).to_dict()
    bucket = template["Resources"]["TemplateBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 30
    [deny] = template["Resources"]["TemplateBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert template["Outputs"]["TemplateBucket"] == {"Value": {"Ref": "TemplateBucket"}}


def test_no_deploy_role_without_github() -> None:
    template = synth_shared(manifest("web")).to_dict()
    assert "DeployRole" not in template["Resources"] and "Parameters" not in template


def test_write_names_files_after_their_stacks(tmp_path: Path) -> None:
    m = manifest("web")
    templates = {
        "launchdeck-tiny": synth_shared(m),
        "launchdeck-tiny-staging": synth_env(m, "staging"),
    }
    paths = write(templates, tmp_path / "out")
    assert [p.name for p in paths] == ["launchdeck-tiny.json", "launchdeck-tiny-staging.json"]
    assert json.loads(paths[1].read_text()) == json.loads(
        to_json(templates["launchdeck-tiny-staging"])
    )
    assert to_json(synth_env(m, "staging")) == paths[1].read_text()


def test_a_workers_only_app_has_no_load_balancer() -> None:
    from launchdeck.manifest import parse_manifest

    m = parse_manifest('app = "jobs"\n[services.worker]\ncommand = "work"\n')
    template = synth_env(m, "production").to_dict()
    assert not of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert "AlbSecurityGroup" not in template["Resources"]
    assert "Parameters" not in template or "CertificateArn" not in template["Parameters"]
    assert {"ClusterName", "WorkerServiceName"} <= set(template["Outputs"])
    assert "Url" not in template["Outputs"]


def test_web_without_a_port_line_is_behind_the_load_balancer_unless_it_opts_out() -> None:
    routed = synth_text('app = "shop"\n[services.web]\ncommand = "serve"\n')
    assert "WebTargets" in routed["Resources"] and "LoadBalancer" in routed["Resources"]
    [mapping] = container(routed, "web")["PortMappings"]
    assert mapping["ContainerPort"] == 8080
    worker = synth_text('app = "shop"\n[services.web]\ncommand = "work"\nport = false\n')
    assert "WebTargets" not in worker["Resources"] and "LoadBalancer" not in worker["Resources"]
