"""The names synthesis writes and the deploy side looks for: stacks, repositories, ECS and log
names, the environment stack's parameter and outputs, the logical ids of a service's resources.

One definition of each, so the templates and `launchdeck aws deploy/logs/status` cannot drift
apart; users and scripts see them too (docs/aws.md). Light on purpose: the deploy side imports
it without troposphere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IMAGE_PARAMETER = "ImageDigest"
TEMPLATE_BUCKET_OUTPUT = "TemplateBucket"  # the shared stack's bucket for big stack templates
CLUSTER_OUTPUT = "ClusterName"
URL_OUTPUT = "Url"
SUBNETS_OUTPUT = "PrivateSubnetIds"  # comma-separated: where one-off tasks run
SECURITY_GROUP_OUTPUT = "AppSecurityGroupId"

# The one-off task definition of an environment (`launchdeck aws run`, the scheduled jobs): its
# container, log stream prefix and the start of its logical ids (`RunTask`, `RunLogs`), so no
# service may be called this.
RUN = "run"
RUN_GROUP = "run"  # the ECS task group of `aws run`'s tasks; a scheduled job's is cron:<name>
RUN_FAMILY_OUTPUT = "RunTaskFamily"  # as a service's would be: `run` is no service's name
RUN_LOG_GROUP_OUTPUT = "RunLogGroup"

_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]+")


def title(name: str) -> str:
    """A service as the start of its logical ids and outputs: `web` -> `Web`, `api-v2` ->
    `ApiV2`, `big_worker` -> `BigWorker`, `worker2` -> `Worker2`. CloudFormation takes only
    letters and digits, so anything else splits the name; each part's first letter is upper-cased
    and the rest kept."""
    return "".join(part[:1].upper() + part[1:] for part in _NOT_ALPHANUMERIC.split(name))


def shared_stack(app: str) -> str:
    return f"launchdeck-{app}"


def env_stack(app: str, env: str) -> str:
    return f"launchdeck-{app}-{env}"


def stack_names(app: str, env: str) -> tuple[str, str]:
    """(shared stack, environment stack)."""
    return shared_stack(app), env_stack(app, env)


def cluster_name(app: str, env: str) -> str:
    return f"launchdeck-{app}-{env}"


def task_family(app: str, env: str, service: str) -> str:
    return f"launchdeck-{app}-{env}-{service}"


def log_group_name(app: str, env: str, service: str) -> str:
    return f"/launchdeck/{app}/{env}/{service}"


def repository_name(app: str, service: str) -> str:
    return f"launchdeck/{app}/{service}"


def parameter_prefix(app: str, env: str) -> str:
    """Where the environment's secrets live in SSM Parameter Store."""
    return f"/launchdeck/{app}/{env}"


def rollback_record(app: str, env: str) -> str:
    """The SSM parameter that says an environment's services run an older revision."""
    return f"{parameter_prefix(app, env)}/rolled-back-to"


def role_path(app: str) -> str:
    """Every IAM role of the app lives under this path, so one PassRole grant covers them."""
    return f"/launchdeck/{app}/"


def tags(app: str, env: str | None = None) -> dict[str, str]:
    found = {"launchdeck:app": app}
    if env is not None:
        found["launchdeck:env"] = env
    return found


@dataclass(frozen=True)
class ServiceOutputs:
    """The environment stack's outputs for one service."""

    service_name: str  # the ECS service's name
    task_family: str
    log_group: str


def service_outputs(service: str) -> ServiceOutputs:
    prefix = title(service)
    return ServiceOutputs(f"{prefix}ServiceName", f"{prefix}TaskFamily", f"{prefix}LogGroup")


def cron_group(job: str) -> str:
    """The ECS task group of a scheduled job's tasks (ECS's own services use `service:<name>`)."""
    return f"cron:{job}"


def queue_variable(queue: str) -> str:
    """The variable that gives every container a queue's URL: `emails` -> `QUEUE_EMAILS_URL`."""
    return f"QUEUE_{queue.upper().replace('-', '_')}_URL"
