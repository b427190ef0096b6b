"""The one-off task, `[cron.<name>]` as EventBridge Scheduler schedules and `[queues.<name>]` as
SQS queues, in the synthesized environment stacks (manifests/cron.toml)."""

from __future__ import annotations

import json
from typing import Any

from launchdeck.drivers.aws.synth import synth_env
from launchdeck.manifest import parse_manifest
from tests.unit.aws_synth.test_synth import container, env_stack, env_vars, of_type

SQS_ACTIONS = [
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
]


def statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = template["Resources"][role]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    return found


def schedules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return of_type(template, "AWS::Scheduler::Schedule")


# -- the one-off task ------------------------------------------------------------------------


def test_the_one_off_task_is_the_first_services_with_no_port() -> None:
    template = env_stack("cron")
    task = template["Resources"]["RunTask"]["Properties"]
    assert task["Family"] == "launchdeck-ledger-production-run"
    assert (task["Cpu"], task["Memory"]) == ("512", "1024")  # web's resources
    assert task["TaskRoleArn"] == {"Fn::GetAtt": ["RunTaskRole", "Arn"]}
    entry = container(template, "run")
    assert entry["Name"] == "run"
    assert entry["Image"] == {
        "Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/"
        "launchdeck/ledger/web@${ImageDigest}"
    }
    assert entry["EntryPoint"] == ["sh", "-c"]
    assert "exit 2" in entry["Command"][0]  # without an override it says how to give one
    assert "PortMappings" not in entry
    assert entry["LogConfiguration"]["Options"]["awslogs-stream-prefix"] == "run"
    assert env_vars(entry) == env_vars(container(template, "worker"))
    assert entry["Secrets"] == container(template, "web")["Secrets"]


def test_every_environment_has_it_with_its_log_group_and_outputs() -> None:
    template = env_stack("hello", "staging")
    logs = template["Resources"]["RunLogs"]["Properties"]
    assert logs["LogGroupName"] == "/launchdeck/hello/staging/run"
    outputs = template["Outputs"]
    assert outputs["RunTaskFamily"]["Value"] == "launchdeck-hello-staging-run"
    assert outputs["RunLogGroup"]["Value"] == {"Ref": "RunLogs"}
    assert outputs["PrivateSubnetIds"]["Value"]["Fn::Join"][0] == ","
    assert outputs["AppSecurityGroupId"]["Value"] == {"Ref": "AppSecurityGroup"}
    writes = next(
        s for s in statements(template, "ExecutionRole") if "logs:PutLogEvents" in s["Action"]
    )
    assert {"Fn::Join": ["", [{"Fn::GetAtt": ["RunLogs", "Arn"]}, ":*"]]} in writes["Resource"]
    assert schedules(template) == {}  # no [cron]: no schedule, no scheduler role
    assert "SchedulerRole" not in template["Resources"]


# -- scheduled jobs --------------------------------------------------------------------------


def test_each_job_of_the_environment_is_a_schedule() -> None:
    production = schedules(env_stack("cron"))
    assert {
        key: (props["ScheduleExpression"], props.get("ScheduleExpressionTimezone"))
        for key, props in production.items()
    } == {
        "CronMonthlyInvoicesSchedule": ("cron(0 0 1 * ? *)", "UTC"),
        "CronNightlyReportSchedule": ("cron(0 3 ? * MON-SAT *)", "Europe/Paris"),  # production's
        "CronReindexSchedule": ("rate(6 hours)", None),
        "CronSweepSchedule": ("rate(15 minutes)", None),
    }
    staging = schedules(env_stack("cron", "staging"))
    assert "CronReindexSchedule" not in staging  # enabled = false there
    assert staging["CronNightlyReportSchedule"]["ScheduleExpression"] == "cron(30 2 ? * MON-FRI *)"


def test_a_schedule_runs_the_one_off_task_with_the_jobs_command() -> None:
    props = schedules(env_stack("cron"))["CronNightlyReportSchedule"]
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert props["State"] == "ENABLED"
    target = props["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["Cluster", "Arn"]}
    assert target["RoleArn"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
    assert target["EcsParameters"] == {
        "TaskDefinitionArn": {"Ref": "RunTask"},
        "TaskCount": 1,
        "LaunchType": "FARGATE",
        "PlatformVersion": "LATEST",
        "Group": "cron:nightly-report",
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": [{"Ref": "PrivateSubnet0"}, {"Ref": "PrivateSubnet1"}],
                "SecurityGroups": [{"Ref": "AppSecurityGroup"}],
            }
        },
    }
    assert json.loads(target["Input"]) == {
        "containerOverrides": [
            {"name": "run", "command": ["python manage.py report --since yesterday"]}
        ]
    }
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]}}


def test_the_scheduler_may_run_only_the_one_off_family_and_pass_only_its_roles() -> None:
    template = env_stack("cron")
    role = template["Resources"]["SchedulerRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert statements(template, "SchedulerRole") == [
        {
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:"
                "task-definition/launchdeck-ledger-production-run:*"
            },
            "Condition": {"ArnEquals": {"ecs:cluster": {"Fn::GetAtt": ["Cluster", "Arn"]}}},
        },
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": [
                {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
                {"Fn::GetAtt": ["RunTaskRole", "Arn"]},
            ],
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["ScheduleDeadLetters", "Arn"]},
        },
    ]


def test_failed_starts_wait_in_a_dead_letter_queue_that_alarms() -> None:
    template = env_stack("cron")
    queue = template["Resources"]["ScheduleDeadLetters"]["Properties"]
    assert queue == {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}
    alarm = template["Resources"]["ScheduleDeadLettersWaiting"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ScheduleDeadLetters", "QueueName"]}}
    ]
    assert alarm["Threshold"] == 0 and alarm["AlarmActions"] == [{"Ref": "Alerts"}]


def test_a_job_changed_to_every_in_one_environment_loses_its_time_zone() -> None:
    manifest = parse_manifest(
        'app = "shop"\n[services.web]\ncommand = "serve"\nport = true\n'
        '[cron.report]\nschedule = "0 3 * * *"\ntimezone = "Asia/Tokyo"\ncommand = "report"\n'
        '[environments.staging.cron.report]\nevery = "1h"\n'
    )
    staging = schedules(synth_env(manifest, "staging").to_dict())["CronReportSchedule"]
    assert staging["ScheduleExpression"] == "rate(1 hour)"
    assert "ScheduleExpressionTimezone" not in staging
    production = schedules(synth_env(manifest, "production").to_dict())["CronReportSchedule"]
    assert production["ScheduleExpressionTimezone"] == "Asia/Tokyo"


# -- queues ----------------------------------------------------------------------------------


def test_each_queue_is_encrypted_and_has_its_own_dead_letter_queue() -> None:
    resources = env_stack("cron")["Resources"]
    assert resources["QueueVideoEncode"]["Properties"] == {
        "VisibilityTimeout": 900,
        "MessageRetentionPeriod": 604800,
        "SqsManagedSseEnabled": True,
        "RedrivePolicy": {
            "deadLetterTargetArn": {"Fn::GetAtt": ["QueueVideoEncodeDeadLetters", "Arn"]},
            "maxReceiveCount": 3,
        },
    }
    emails = resources["QueueEmails"]["Properties"]
    assert (emails["VisibilityTimeout"], emails["MessageRetentionPeriod"]) == (30, 345600)
    assert emails["RedrivePolicy"]["maxReceiveCount"] == 5
    dead = resources["QueueEmailsDeadLetters"]["Properties"]
    assert dead == {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}
    alarm = resources["QueueEmailsDeadLettersWaiting"]["Properties"]
    assert alarm["AlarmDescription"] == "queue emails: a message failed every receive"


def test_every_container_gets_each_queues_url() -> None:
    template = env_stack("cron")
    for name in ("web", "worker", "run"):
        values = env_vars(container(template, name))
        assert values["QUEUE_EMAILS_URL"] == {"Ref": "QueueEmails"}
        assert values["QUEUE_VIDEO_ENCODE_URL"] == {"Ref": "QueueVideoEncode"}


def test_every_task_role_may_use_exactly_these_queues() -> None:
    template = env_stack("cron")
    for role in ("WebTaskRole", "WorkerTaskRole", "RunTaskRole"):
        assert statements(template, role) == [
            {
                "Effect": "Allow",
                "Action": SQS_ACTIONS,
                "Resource": [
                    {"Fn::GetAtt": ["QueueEmails", "Arn"]},
                    {"Fn::GetAtt": ["QueueVideoEncode", "Arn"]},
                ],
            }
        ]


def test_without_queues_the_task_roles_stay_empty() -> None:
    resources = env_stack("full")["Resources"]
    for role in ("WebTaskRole", "WorkerTaskRole", "RunTaskRole"):
        assert "Policies" not in resources[role]["Properties"]
    assert not [key for key in resources if key.startswith("Queue")]


def test_the_deploy_role_may_follow_one_off_tasks_and_keep_the_rollback_record() -> None:
    from launchdeck.drivers.aws.synth import synth_shared
    from tests.unit.aws_synth.variants import manifest

    template = synth_shared(manifest("full")).to_dict()
    found = {
        s["Sid"]: s
        for s in template["Resources"]["DeployRole"]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"
        ]
    }
    assert found["FollowOneOffTasks"]["Action"] == "logs:GetLogEvents"
    assert found["FollowOneOffTasks"]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
        "/launchdeck/shop/*/run:log-stream:*"
    }
    assert found["TheRollbackRecord"]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
        "/launchdeck/shop/*/rolled-back-to"
    }
    assert found["RunTheReleaseCommand"]["Action"] == "ecs:RunTask"  # the one-off family too
