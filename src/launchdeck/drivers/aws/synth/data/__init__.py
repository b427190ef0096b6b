"""The add-ons on AWS: RDS PostgreSQL and ElastiCache Redis, in private subnets, encrypted, and
what reaches the app: `DATABASE_URL` without the password plus `PGPASSWORD` from the managed
secret (libpq-based drivers combine them), and `REDIS_URL` whole from a secret. Engine versions
are in versions.py; the `[queues]` (SQS) are queues.py."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from troposphere import GetAtt, Join, Ref, Sub, Template, elasticache, rds, secretsmanager

from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.data.queues import Queues, queues
from launchdeck.drivers.aws.synth.data.versions import POSTGRES_VERSIONS, REDIS_VERSIONS
from launchdeck.drivers.aws.synth.iam import managed_policy, role
from launchdeck.drivers.aws.synth.naming import database_name
from launchdeck.drivers.aws.synth.network import Network

DB_USER = "launchdeck"


@dataclass(frozen=True)
class Data:
    database: Any = None
    cache: Any = None
    environment: dict[str, Any] = field(default_factory=dict)  # plain variables
    secret_env: dict[str, Any] = field(default_factory=dict)  # variable -> valueFrom
    secrets: list[Any] = field(default_factory=list)  # ARNs the execution role may read
    queues: Queues = field(default_factory=Queues)

    @property
    def task_policy(self) -> list[dict[str, Any]]:
        """What every task role may do: use the queues."""
        return self.queues.task_policy


def data(t: Template, env: Env, net: Network, db_group: Any, cache_group: Any, key: Any) -> Data:
    result = Data()
    if db_group is not None:
        result = _postgres(t, env, net, db_group, key)
    if cache_group is not None:
        cache, url = _redis(t, env, net, cache_group, key)
        result = replace(
            result,
            cache=cache,
            secret_env={**result.secret_env, "REDIS_URL": Ref(url)},
            secrets=[*result.secrets, Ref(url)],
        )
    found = queues(t, env)
    return replace(result, environment={**result.environment, **found.environment}, queues=found)


def _postgres(t: Template, env: Env, net: Network, group: Any, key: Any) -> Data:
    db, name = _database(t, env, net, group, key), database_name(env.app)
    host, port = GetAtt(db, "Endpoint.Address"), GetAtt(db, "Endpoint.Port")
    secret = GetAtt(db, "MasterUserSecret.SecretArn")
    url = Sub(
        f"postgresql://{DB_USER}@${{Host}}:${{Port}}/{name}?sslmode=require", Host=host, Port=port
    )
    environment = {
        "DATABASE_URL": url,
        "PGHOST": host,
        "PGPORT": port,
        "PGUSER": DB_USER,
        "PGDATABASE": name,
        "PGSSLMODE": "require",
    }
    return Data(
        database=db,
        environment=environment,
        secret_env={"PGPASSWORD": Join("", [secret, ":password::"])},
        secrets=[secret],
    )


def _database(t: Template, env: Env, net: Network, group: Any, key: Any) -> Any:
    postgres = env.manifest.addons.postgres
    assert postgres is not None
    subnets = t.add_resource(
        rds.DBSubnetGroup(
            "DatabaseSubnets",
            DBSubnetGroupDescription=f"{env.stack} database: private subnets",
            SubnetIds=[Ref(subnet) for subnet in net.private],
        )
    )
    monitoring = role(
        t, "DatabaseMonitoringRole", env.app, "monitoring.rds.amazonaws.com",
        managed=[managed_policy("service-role/AmazonRDSEnhancedMonitoringRole")],
    )  # fmt: skip
    return t.add_resource(
        rds.DBInstance(
            "Database",
            DeletionPolicy="Snapshot",
            UpdateReplacePolicy="Snapshot",
            Engine="postgres",
            EngineVersion=POSTGRES_VERSIONS[postgres.aws_version],
            DBInstanceClass=env.aws.db_instance,
            DBName=database_name(env.app),
            AllocatedStorage=str(env.aws.db_storage_gb),
            StorageType="gp3",
            StorageEncrypted=True,
            KmsKeyId=GetAtt(key, "Arn"),
            MasterUsername=DB_USER,
            ManageMasterUserPassword=True,
            MasterUserSecret=rds.MasterUserSecret(KmsKeyId=GetAtt(key, "Arn")),
            MultiAZ=env.production,
            DBSubnetGroupName=Ref(subnets),
            VPCSecurityGroups=[Ref(group)],
            PubliclyAccessible=False,
            BackupRetentionPeriod=14 if env.production else 7,
            DeletionProtection=True,
            CopyTagsToSnapshot=True,
            AutoMinorVersionUpgrade=True,
            EnableIAMDatabaseAuthentication=True,
            EnableCloudwatchLogsExports=["postgresql", "upgrade"],
            MonitoringInterval=60,
            MonitoringRoleArn=GetAtt(monitoring, "Arn"),
            EnablePerformanceInsights=True,
            PerformanceInsightsKMSKeyId=GetAtt(key, "Arn"),
            PerformanceInsightsRetentionPeriod=7,
        )
    )


def _redis(t: Template, env: Env, net: Network, group: Any, key: Any) -> tuple[Any, Any]:
    redis = env.manifest.addons.redis
    assert redis is not None
    token = _auth_token(t, env, key)
    subnets = t.add_resource(
        elasticache.SubnetGroup(
            "CacheSubnets",
            Description=f"{env.stack} cache: private subnets",
            SubnetIds=[Ref(subnet) for subnet in net.private],
        )
    )
    nodes = 2 if env.production else 1
    cache = t.add_resource(
        elasticache.ReplicationGroup(
            "Cache",
            ReplicationGroupDescription=f"{env.stack} Redis",
            Engine="redis",
            EngineVersion=REDIS_VERSIONS[redis.version],
            CacheNodeType=env.aws.cache_node,
            NumCacheClusters=nodes,
            AutomaticFailoverEnabled=env.production,
            MultiAZEnabled=env.production,
            CacheSubnetGroupName=Ref(subnets),
            SecurityGroupIds=[Ref(group)],
            AtRestEncryptionEnabled=True,
            KmsKeyId=GetAtt(key, "Arn"),
            TransitEncryptionEnabled=True,
            AuthToken=Join("", ["{{resolve:secretsmanager:", Ref(token), ":SecretString:token}}"]),
            Port=6379,
            SnapshotRetentionLimit=7,
            AutoMinorVersionUpgrade=True,
        )
    )
    url = t.add_resource(
        secretsmanager.Secret(
            "CacheUrl",
            Description=f"{env.stack}: REDIS_URL",
            KmsKeyId=GetAtt(key, "Arn"),
            SecretString=Join(
                "",
                [
                    "rediss://:{{resolve:secretsmanager:",
                    Ref(token),
                    ":SecretString:token}}@",
                    GetAtt(cache, "PrimaryEndPoint.Address"),
                    ":",
                    GetAtt(cache, "PrimaryEndPoint.Port"),
                ],
            ),
        )
    )
    return cache, url


def _auth_token(t: Template, env: Env, key: Any) -> Any:
    return t.add_resource(
        secretsmanager.Secret(
            "CacheAuthToken",
            Description=f"{env.stack}: Redis AUTH token",
            KmsKeyId=GetAtt(key, "Arn"),
            GenerateSecretString=secretsmanager.GenerateSecretString(
                SecretStringTemplate="{}",
                GenerateStringKey="token",
                PasswordLength=64,
                ExcludePunctuation=True,  # URL-safe, and ElastiCache rejects some punctuation
            ),
        )
    )
