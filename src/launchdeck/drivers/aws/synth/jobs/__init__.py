"""`[cron.<name>]` on AWS: one EventBridge Scheduler schedule per job of the environment, each
starting the environment's one-off task (compute/tasks.py: the one image by digest, the
environment's config, secrets and add-ons) with the job's command through `sh -c`, on Fargate in
the private subnets with the app's security group, like the services' tasks.

The expression is `cron(...)` in the job's time zone, or `rate(...)` for `every`
(expressions.py). A start EventBridge could not make (RunTask refused, throttled) is tried again
twice within an hour, then lands in the environment's `ScheduleDeadLetters` queue, whose alarm
posts to Slack. The scheduler's role may run only the one-off family, in this cluster, and pass
only its two roles. A job's tasks are in the ECS task group `cron:<name>`.

What the one-host runner does and EventBridge does not: `concurrency` (every start runs, even
while the previous still does), `catch_up` (nothing is missed: the scheduler does not go down
with a host) and `timeout` (a task runs until its command exits); see docs/aws.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from troposphere import GetAtt, Ref, Sub, Template, scheduler, sqs

from launchdeck.domain.jobs import CronJob
from launchdeck.drivers.aws.names import RUN, cron_group, task_family, title
from launchdeck.drivers.aws.synth.compute import Compute
from launchdeck.drivers.aws.synth.context import Env
from launchdeck.drivers.aws.synth.iam import role, same_account, statement
from launchdeck.drivers.aws.synth.jobs.expressions import expression
from launchdeck.drivers.aws.synth.network import Network

RETRIES = 2  # more starts of a delivery EventBridge could not make
MAX_EVENT_AGE = 3600  # seconds: a start not made within an hour goes to the dead letters
DEAD_LETTERS = "ScheduleDeadLetters"
DEAD_LETTER_RETENTION = 14 * 24 * 3600
DESCRIPTION_MAX = 512


@dataclass(frozen=True)
class Jobs:
    schedules: dict[str, Any] = field(default_factory=dict)  # job name -> schedule
    dead_letters: Any = None  # the queue of starts that failed, when there is a job


def schedules(t: Template, env: Env, compute_: Compute, net: Network, app_group: Any) -> Jobs:
    jobs = env.manifest.cron
    if not jobs:
        return Jobs()
    dead = t.add_resource(
        sqs.Queue(
            DEAD_LETTERS,
            MessageRetentionPeriod=DEAD_LETTER_RETENTION,
            SqsManagedSseEnabled=True,
        )
    )
    runner = _scheduler_role(t, env, compute_, dead)
    network = scheduler.NetworkConfiguration(
        AwsvpcConfiguration=scheduler.AwsVpcConfiguration(
            AssignPublicIp="DISABLED",
            Subnets=[Ref(subnet) for subnet in net.private],
            SecurityGroups=[Ref(app_group)],
        )
    )
    found = {
        name: t.add_resource(_schedule(env, jobs[name], compute_, network, runner, dead, net))
        for name in sorted(jobs)
    }
    return Jobs(found, dead)


def cron_id(name: str) -> str:
    """The start of a job's logical ids: `nightly-report` -> `CronNightlyReport`."""
    return f"Cron{title(name)}"


def overrides(job: CronJob) -> str:
    """The schedule's Input: ECS's TaskOverride for the one-off container (the command goes
    through its `sh -c` entry point, as a service's does)."""
    return json.dumps({"containerOverrides": [{"name": RUN, "command": [job.command]}]})


def _schedule(
    env: Env,
    job: CronJob,
    compute_: Compute,
    network: Any,
    runner: Any,
    dead: Any,
    net: Network,
) -> Any:
    when: dict[str, Any] = {"ScheduleExpression": expression(job)}
    if job.schedule is not None:
        when["ScheduleExpressionTimezone"] = job.timezone
    description = f"{env.stack} cron.{job.name}: {job.command}"
    return scheduler.Schedule(
        f"{cron_id(job.name)}Schedule",
        Description=description[:DESCRIPTION_MAX],
        FlexibleTimeWindow=scheduler.FlexibleTimeWindow(Mode="OFF"),
        State="ENABLED",
        Target=scheduler.Target(
            Arn=GetAtt(compute_.cluster, "Arn"),
            RoleArn=GetAtt(runner, "Arn"),
            EcsParameters=scheduler.EcsParameters(
                TaskDefinitionArn=Ref(compute_.run.task),
                TaskCount=1,
                LaunchType="FARGATE",
                PlatformVersion="LATEST",
                Group=cron_group(job.name),
                NetworkConfiguration=network,
            ),
            Input=overrides(job),
            RetryPolicy=scheduler.RetryPolicy(
                MaximumRetryAttempts=RETRIES, MaximumEventAgeInSeconds=MAX_EVENT_AGE
            ),
            DeadLetterConfig=scheduler.DeadLetterConfig(Arn=GetAtt(dead, "Arn")),
        ),
        DependsOn=net.nat_routes,  # a first start must reach the registry
        **when,
    )


def _scheduler_role(t: Template, env: Env, compute_: Compute, dead: Any) -> Any:
    """Runs the one-off family in this cluster, passes its two roles, and nothing else (but
    the dead letters of the starts it could not make)."""
    family = Sub(
        "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/"
        f"{task_family(env.app, env.name, RUN)}:*"
    )
    run = compute_.run
    statements = [
        statement(
            "ecs:RunTask",
            family,
            condition={"ArnEquals": {"ecs:cluster": GetAtt(compute_.cluster, "Arn")}},
        ),
        statement(
            "iam:PassRole",
            [GetAtt(run.execution, "Arn"), GetAtt(run.role, "Arn")],
            condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
        statement("sqs:SendMessage", GetAtt(dead, "Arn")),
    ]
    return role(
        t, "SchedulerRole", env.app, "scheduler.amazonaws.com", statements, trust=same_account()
    )
