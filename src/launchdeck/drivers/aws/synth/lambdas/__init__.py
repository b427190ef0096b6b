"""Small inline Lambda functions with what checkov asks of every function: their own encrypted
log group, a dead-letter queue, X-Ray tracing, encrypted environment and least privilege."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Template, awslambda, logs, sqs

from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.iam import role, statement
from launchdeck.drivers.aws.synth.lambdas.code import RESTRICT_DEFAULT_SG, SLACK_NOTIFIER

RUNTIME = "python3.12"
DEAD_LETTERS = "LambdaDeadLetters"

__all__ = ["RESTRICT_DEFAULT_SG", "SLACK_NOTIFIER", "function"]


def function(
    t: Template,
    env: Env,
    title: str,
    code: str,
    key: Any,
    statements: list[dict[str, Any]],
    *,
    description: str,
    variables: dict[str, Any] | None = None,
) -> Any:
    group = t.add_resource(
        logs.LogGroup(
            f"{title}Logs",
            LogGroupName=f"/launchdeck/{env.app}/{env.name}/lambda/{title}",
            RetentionInDays=env.aws.log_retention_days,
            KmsKeyId=GetAtt(key, "Arn"),
        )
    )
    queue = _dead_letters(t, key)
    fn_role = role(t, f"{title}Role", env.app, "lambda.amazonaws.com", [
        statement(["logs:CreateLogStream", "logs:PutLogEvents"], GetAtt(group, "Arn")),
        statement("sqs:SendMessage", GetAtt(queue, "Arn")),
        statement(["kms:Decrypt", "kms:GenerateDataKey"], GetAtt(key, "Arn")),
        statement(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
        *statements,
    ])  # fmt: skip
    return t.add_resource(
        awslambda.Function(
            title,
            Description=description,
            Runtime=RUNTIME,
            Architectures=["arm64"],
            Handler="index.handler",
            Code=awslambda.Code(ZipFile=code),
            Role=GetAtt(fn_role, "Arn"),
            Timeout=30,
            MemorySize=128,
            KmsKeyArn=GetAtt(key, "Arn"),
            Environment=awslambda.Environment(
                Variables={"STACK": Ref("AWS::StackName"), **(variables or {})}
            ),
            DeadLetterConfig=awslambda.DeadLetterConfig(TargetArn=GetAtt(queue, "Arn")),
            TracingConfig=awslambda.TracingConfig(Mode="Active"),
            LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref(group)),
        )
    )


def _dead_letters(t: Template, key: Any) -> Any:
    if DEAD_LETTERS in t.resources:
        return t.resources[DEAD_LETTERS]
    return t.add_resource(
        sqs.Queue(
            DEAD_LETTERS,
            KmsMasterKeyId=GetAtt(key, "Arn"),
            MessageRetentionPeriod=14 * 24 * 3600,
        )
    )
