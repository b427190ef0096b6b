"""Alarms -> an encrypted SNS topic -> a small Lambda that posts to Slack.

Built in (docs/aws.md): 5xx above 5% of requests, p95 response time above 2s, any unhealthy
target, service CPU or memory above 85%, database CPU above 80% or free storage below 10%, any
message in a dead-letter queue (a queue's, or the scheduled starts that failed); each over 3 of
5 one-minute periods (RDS: 5-minute periods). The manifest's `[[alerts]]` join them on
the same topic (rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from troposphere import GetAtt, Ref, Sub, Template, awslambda, cloudwatch, sns

from launchdeck.drivers.aws.names import cluster_name, title
from launchdeck.drivers.aws.synth.alerting.rules import dimensions, rule_alarms, stat_query
from launchdeck.drivers.aws.synth.compute import Compute
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.edge import Edge
from launchdeck.drivers.aws.synth.iam import statement
from launchdeck.drivers.aws.synth.lambdas import SLACK_NOTIFIER, function
from launchdeck.drivers.aws.synth.naming import slack_secret_name


def alerts(
    t: Template,
    env: Env,
    key: Any,
    edge_: Edge | None,
    compute_: Compute,
    database: Any,
    dead_letters: Mapping[str, tuple[Any, str]] | None = None,  # logical id -> (queue, what)
) -> Any:
    topic = t.add_resource(
        sns.Topic("Alerts", DisplayName=f"{env.stack} alerts", KmsMasterKeyId=GetAtt(key, "Arn"))
    )
    _notifier(t, env, key, topic)
    alarm = _Alarms(t, topic)
    if edge_ is not None:
        _edge_alarms(alarm, edge_)
    for name, service in compute_.services.items():
        dims = {
            "ClusterName": cluster_name(env.app, env.name),
            "ServiceName": GetAtt(service, "Name"),
        }
        for metric in ("CPUUtilization", "MemoryUtilization"):
            label = metric.removesuffix("Utilization").replace("CPU", "Cpu")
            alarm.metric(f"{title(name)}{label}High", "AWS/ECS", metric, dims, 85,
                         f"{name}: {metric} above 85%")  # fmt: skip
    if database is not None:
        dims = {"DBInstanceIdentifier": Ref(database)}
        alarm.metric("DatabaseCpuHigh", "AWS/RDS", "CPUUtilization", dims, 80,
                     "database CPU above 80%", period=300)  # fmt: skip
        free = env.aws.db_storage_gb * 1024**3 // 10
        alarm.metric("DatabaseStorageLow", "AWS/RDS", "FreeStorageSpace", dims, free,
                     "database free storage below 10%", period=300,
                     operator="LessThanThreshold", statistic="Minimum")  # fmt: skip
    for logical_id, (queue, what) in (dead_letters or {}).items():
        alarm.metric(f"{logical_id}Waiting", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                     {"QueueName": GetAtt(queue, "QueueName")}, 0, what,
                     statistic="Maximum")  # fmt: skip
    rule_alarms(t, env, topic, edge_, compute_)
    return topic


def _edge_alarms(alarm: _Alarms, edge_: Edge) -> None:
    lb = {"LoadBalancer": GetAtt(edge_.alb, "LoadBalancerFullName")}
    alarm.error_rate(lb)
    alarm.metric("SlowResponses", "AWS/ApplicationELB", "TargetResponseTime", lb, 2.0,
                 "p95 response time above 2s", statistic="p95")  # fmt: skip
    groups = [
        (f"{title(name)}UnhealthyHosts", name, group) for name, group in edge_.targets.items()
    ]
    # a canary service's second target group serves after every other deployment
    groups += [(f"{title(name)}UnhealthyHostsAlternate", name, group)
               for name, group in edge_.alternates.items()]  # fmt: skip
    for logical_id, name, group in groups:
        dims = {**lb, "TargetGroup": GetAtt(group, "TargetGroupFullName")}
        alarm.metric(logical_id, "AWS/ApplicationELB", "UnHealthyHostCount",
                     dims, 0, f"{name}: a target is failing its health check",
                     statistic="Maximum")  # fmt: skip


def _notifier(t: Template, env: Env, key: Any, topic: Any) -> None:
    secret = slack_secret_name(env.manifest, env.app)
    secret_arn = Sub(
        f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{secret}-??????"
    )
    fn = function(
        t,
        env,
        "SlackNotifier",
        SLACK_NOTIFIER,
        key,
        [statement("secretsmanager:GetSecretValue", secret_arn)],
        description=f"Posts {env.stack} alarms to Slack",
        variables={"WEBHOOK_SECRET": secret},
    )
    t.add_resource(
        awslambda.Permission(
            "SlackNotifierInvoke",
            FunctionName=Ref(fn),
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            SourceArn=Ref(topic),
        )
    )
    t.add_resource(
        sns.SubscriptionResource(
            "SlackNotifierSubscription",
            TopicArn=Ref(topic),
            Protocol="lambda",
            Endpoint=GetAtt(fn, "Arn"),
        )
    )


class _Alarms:
    def __init__(self, t: Template, topic: Any) -> None:
        self.t, self.topic = t, topic

    def _add(self, title_: str, description: str, **props: Any) -> None:
        self.t.add_resource(
            cloudwatch.Alarm(
                title_,
                AlarmDescription=description,
                AlarmActions=[Ref(self.topic)],
                OKActions=[Ref(self.topic)],
                EvaluationPeriods=5,
                DatapointsToAlarm=3,
                TreatMissingData="notBreaching",
                **props,
            )
        )

    def metric(
        self,
        title_: str,
        namespace: str,
        metric: str,
        dims: dict[str, Any],
        threshold: float,
        description: str,
        *,
        period: int = 60,
        operator: str = "GreaterThanThreshold",
        statistic: str = "Average",
    ) -> None:
        stat: dict[str, Any] = (
            {"ExtendedStatistic": statistic}
            if statistic.startswith("p")
            else {"Statistic": statistic}
        )
        self._add(
            title_,
            description,
            Namespace=namespace,
            MetricName=metric,
            Dimensions=dimensions(dims),
            Period=period,
            Threshold=threshold,
            ComparisonOperator=operator,
            **stat,
        )

    def error_rate(self, lb: dict[str, Any]) -> None:
        def count(id_: str, metric: str) -> Any:
            return stat_query(id_, "AWS/ApplicationELB", metric, lb, "Sum")

        rate = cloudwatch.MetricDataQuery(
            Id="rate",
            Label="5xx per 100 requests",
            Expression="100 * (FILL(target, 0) + FILL(elb, 0)) / requests",
            ReturnData=True,
        )
        self._add(
            "ServerErrors",
            "more than 5% of requests answered with 5xx",
            Metrics=[
                count("target", "HTTPCode_Target_5XX_Count"),
                count("elb", "HTTPCode_ELB_5XX_Count"),
                count("requests", "RequestCount"),
                rate,
            ],
            Threshold=5,
            ComparisonOperator="GreaterThanThreshold",
        )
