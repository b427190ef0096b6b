"""validate(): everything checkable before any AWS call, in the manifest's error style."""

from __future__ import annotations

import pytest

from launchdeck.drivers.aws.synth import AwsSynthError, synth_env, validate
from launchdeck.manifest import ManifestError, parse_manifest

WEB = 'app = "shop"\n[services.web]\ncommand = "serve"\nport = true\n'


def lines(text: str, env: str = "production") -> list[str]:
    return [str(issue) for issue in validate(parse_manifest(text), env)]


def test_a_plain_web_app_is_valid() -> None:
    assert lines(WEB) == []


def test_unknown_region() -> None:
    assert lines(WEB + '[aws]\nregion = "eu-west-9"\n') == [
        "aws.region: is not an AWS region launchdeck knows (got 'eu-west-9'); "
        "fix: did you mean 'eu-west-1'?"
    ]


def test_more_azs_than_the_region_has() -> None:
    assert lines(WEB + '[aws]\nregion = "us-west-1"\nazs = 3\n') == [
        "aws.azs: us-west-1 has 2 Availability Zones an account can use (got 3); "
        "fix: use azs = 2, or a region with 3 or more such as 'us-east-2'"
    ]


def test_an_environments_azs_is_reported_where_it_is_written() -> None:
    text = WEB + '[aws]\nregion = "us-west-1"\n[environments.production]\naws = { azs = 3 }\n'
    assert lines(text, "staging") == []
    assert lines(text) == [
        "environments.production.aws.azs: us-west-1 has 2 Availability Zones an account can use "
        "(got 3); fix: use azs = 2, or a region with 3 or more such as 'us-east-2'"
    ]


def test_three_azs_where_there_are_three() -> None:
    assert lines(WEB + '[aws]\nregion = "ca-west-1"\nazs = 3\n') == []


def test_fargate_has_no_quarter_vcpu_task_with_4gib() -> None:
    text = WEB + 'resources = { cpu = 0.25, memory = "4GiB" }\n'
    assert lines(text) == [
        "services.web.resources: Fargate has no task with 0.25 vCPU and 4GiB; 0.25 vCPU allows "
        "memory 512MiB, 1GiB or 2GiB (got {'cpu': 0.25, 'memory': '4GiB'}); "
        'fix: use memory = "2GiB" or less, or cpu = 0.5 (allows 1GiB to 4GiB in 1GiB steps)'
    ]


def test_a_cpu_fargate_does_not_offer() -> None:
    assert lines(WEB + "resources = { cpu = 3 }\n") == [
        "services.web.resources: Fargate has no 3 vCPU task; it offers 0.25, 0.5, 1, 2, 4, 8 or "
        "16 vCPU (got {'cpu': 3}); fix: use cpu = 4"
    ]


def test_an_environments_resources_are_checked_merged_and_reported_there() -> None:
    text = (
        WEB
        + 'resources = { cpu = 1 }\n[environments.production]\nresources.web = { memory = "1GiB" }\n'
    )
    assert lines(text, "staging") == []
    assert lines(text) == [
        "environments.production.resources.web: Fargate has no task with 1 vCPU and 1GiB; "
        "1 vCPU allows memory 2GiB to 8GiB in 1GiB steps (got {'cpu': 1, 'memory': '1GiB'}); "
        'fix: use memory = "2GiB" or more, or cpu = 0.5 (allows 1GiB to 4GiB in 1GiB steps)'
    ]


def test_the_app_name_is_required() -> None:
    assert lines(WEB.removeprefix('app = "shop"\n')) == [
        "app: is required on AWS: stack, cluster and repository names are made from it; "
        'fix: add app = "<name>" at the top of launchdeck.toml'
    ]


def test_cloudfront_needs_a_domain() -> None:
    assert lines(WEB + '[aws]\ncloudfront = { static_paths = ["/static/*"] }\n') == [
        "aws.cloudfront: needs aws.domain: CloudFront reaches the load balancer over HTTPS by "
        'that name; fix: add aws.domain = "shop.example.com" (your domain)'
    ]


def test_cloudfront_outside_us_east_1_needs_a_us_east_1_certificate() -> None:
    text = WEB + '[aws]\nregion = "eu-west-1"\ndomain = "shop.example.com"\ncloudfront = {}\n'
    assert lines(text) == [
        "aws.cloudfront.certificate_arn: is required outside us-east-1: CloudFront cannot use a "
        "certificate from eu-west-1; fix: request a certificate for the domain in ACM in "
        "us-east-1 and set its ARN here"
    ]


def test_a_certificate_from_another_region() -> None:
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
    assert lines(WEB + f'[aws]\nregion = "eu-west-1"\ncertificate_arn = "{arn}"\n') == [
        f"aws.certificate_arn: is not in eu-west-1: a load balancer only uses certificates of "
        f"its own region (got '{arn}'); fix: request or import the certificate in ACM in "
        "eu-west-1 and use its ARN"
    ]


def test_a_second_routed_service_needs_a_domain() -> None:
    assert lines(WEB + '[services.api]\ncommand = "api"\nport = true\n') == [
        "services.api.port: a second routed service is reached by host name (api.<domain>), "
        'which needs aws.domain (got True); fix: add aws.domain = "shop.example.com", or remove '
        "port from all but one service"
    ]


def refused_by_the_manifest(text: str) -> list[str]:
    """The paths the loader names: its refusals reach `aws synth` before validate() runs."""
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text)
    assert not isinstance(caught.value, AwsSynthError)
    return [issue.path for issue in caught.value.issues]


def test_autoscaling_without_max_is_refused_by_the_manifest() -> None:
    assert refused_by_the_manifest(WEB + "scale = { count = 2, cpu = 50 }\n") == [
        "services.web.scale.max"
    ]


def test_a_worker_scaling_on_requests_is_refused_by_the_manifest() -> None:
    worker = '[services.worker]\ncommand = "w"\nscale = { max = 3, requests_per_instance = 9 }\n'
    assert refused_by_the_manifest(WEB + worker) == ["services.worker.scale.requests_per_instance"]


def test_autoscaling_the_manifest_accepts_is_valid_on_aws() -> None:
    table = (
        "[services.web.autoscale]\nmin = 2\nmax = 8\n"
        'target = { cpu = "60%", requests_per_instance = 50, p95_ms = 250 }\nmax_step = 2\n'
    )
    assert lines(WEB + table) == []
    assert lines(WEB + "scale = { count = 2, max = 8, cpu = 50 }\n") == []


def test_drain_and_stop_timeout_within_aws_limits() -> None:
    assert lines(WEB + 'drain = "2h"\nstop_timeout = "5m"\n') == [
        "services.web.drain: should be at most 3600s: the load balancer drains for an hour at "
        "most (got '2h'); fix: use drain = \"1h\" or less",
        "services.web.stop_timeout: should be at most 120s: Fargate kills a container 2 minutes "
        "after SIGTERM at the latest (got '5m'); fix: use stop_timeout = \"2m\" or less",
    ]


def test_addon_versions_aws_offers() -> None:
    assert lines(WEB + '[addons.postgres]\nversion = "9"\n[addons.redis]\nversion = "5"\n') == [
        "addons.postgres.version: is not a PostgreSQL version RDS offers (got '9'); "
        "fix: use one of '14', '15', '16', '17', '18'",
        "addons.redis.version: is not a Redis version ElastiCache offers (got '5'); "
        "fix: use one of '6', '7'",
    ]


def test_synth_env_raises_every_issue_at_once() -> None:
    text = WEB + 'resources = { cpu = 3 }\n[aws]\nregion = "us-west-1"\nazs = 3\n'
    with pytest.raises(AwsSynthError) as caught:
        synth_env(parse_manifest(text), "production")
    assert [issue.path for issue in caught.value.issues] == ["aws.azs", "services.web.resources"]
    assert str(caught.value).startswith("launchdeck.toml: aws.azs: us-west-1 has 2")


def test_service_names_the_stack_uses_itself() -> None:
    text = WEB + '[services.slack-notifier]\ncommand = "x"\n'
    assert lines(text) == [
        "services.slack-notifier: is a name the AWS stack uses for its own resources "
        "(got 'slack-notifier'); fix: rename the service, e.g. to 'slack-notifier-app'"
    ]


def test_services_that_would_share_logical_ids() -> None:
    text = WEB + '[services.web-2]\ncommand = "x"\n[services.web2]\ncommand = "y"\n'
    assert lines(text) == [
        "services.web2: gets the same CloudFormation names as service 'web-2' (Web2...) "
        "(got 'web2'); fix: rename 'web2' or 'web-2'"
    ]


def test_synth_shared_refuses_services_that_would_share_logical_ids() -> None:
    from launchdeck.drivers.aws.synth import synth_shared

    text = WEB + '[services.web-2]\ncommand = "x"\n[services.web2]\ncommand = "y"\n'
    with pytest.raises(AwsSynthError) as caught:
        synth_shared(parse_manifest(text))
    assert [issue.path for issue in caught.value.issues] == ["services.web2"]


def test_synth_shared_needs_the_app_name() -> None:
    from launchdeck.drivers.aws.synth import synth_shared

    with pytest.raises(AwsSynthError) as caught:
        synth_shared(parse_manifest(WEB.removeprefix('app = "shop"\n')))
    assert [issue.path for issue in caught.value.issues] == ["app"]


def test_run_is_the_one_off_tasks_name() -> None:
    assert lines(WEB + '[services.run]\ncommand = "x"\n') == [
        "services.run: is a name the AWS stack uses for its own resources (got 'run'); "
        "fix: rename the service, e.g. to 'run-app'"
    ]


def test_every_under_a_minute_names_the_key_and_the_fix() -> None:
    assert lines(WEB + '[cron.heartbeat]\nevery = "30s"\ncommand = "ping"\n') == [
        "cron.heartbeat.every: is shorter than 1 minute, the shortest interval EventBridge "
        "Scheduler runs a job at (got '30s'); fix: use every = \"1m\" or longer; work every few "
        "seconds belongs in a worker service"
    ]


def test_an_environments_own_interval_is_reported_where_it_is_written() -> None:
    text = (
        WEB + '[cron.sweep]\nevery = "10m"\ncommand = "sweep"\n'
        '[environments.staging.cron.sweep]\nevery = "90s"\n'
    )
    assert lines(text) == []
    assert lines(text, "staging") == [
        "environments.staging.cron.sweep.every: is not a whole number of minutes, which "
        'EventBridge Scheduler\'s rate() counts in (got \'90s\'); fix: use every = "1m" or "2m"'
    ]


def test_a_schedule_eventbridge_cannot_say() -> None:
    text = WEB + '[cron.report]\nschedule = "0 3 1 * mon"\ncommand = "report"\n'
    assert lines(text) == [
        "cron.report.schedule: gives both a day of the month and a day of the week, which cron "
        "runs on either day; EventBridge Scheduler takes one or the other (got '0 3 1 * mon'); "
        "fix: split it into two jobs, one with each (e.g. '0 3 1 * *' and '0 3 * * 1')"
    ]


def test_a_job_turned_off_in_the_environment_is_not_checked_there() -> None:
    text = (
        WEB + '[cron.heartbeat]\nevery = "30s"\ncommand = "ping"\n'
        "[environments.production.cron.heartbeat]\nenabled = false\n"
    )
    assert lines(text) == []


def test_jobs_and_queues_that_would_share_logical_ids() -> None:
    text = (
        WEB + '[cron.report-1]\nevery = "1h"\ncommand = "a"\n[cron.report1]\nevery = "1h"\n'
        'command = "b"\n[queues.mail-1]\n[queues.mail1]\n'
    )
    assert lines(text) == [
        "cron.report1: gets the same CloudFormation names as job 'report-1' (Report1...) "
        "(got 'report1'); fix: rename 'report1' or 'report-1'",
        "queues.mail1: gets the same CloudFormation names as queue 'mail-1' (Mail1...) "
        "(got 'mail1'); fix: rename 'mail1' or 'mail-1'",
    ]


def test_queue_values_sqs_does_not_take() -> None:
    text = (
        WEB + '[queues.q]\nvisibility_timeout = "13h"\nretention = "400h"\nmax_receives = 2000\n'
        '[queues.r]\nretention = "30s"\n'
    )
    assert lines(text) == [
        "queues.q.visibility_timeout: should be at most 12h: SQS hides a received message for "
        "12 hours at most (got '13h'); fix: use visibility_timeout = \"12h\" or less, and split "
        "longer jobs",
        "queues.q.retention: should be between 1m and 336h (14 days): what SQS keeps a message "
        'for (got \'400h\'); fix: use retention = "336h" or less (and "1m" or more)',
        "queues.q.max_receives: should be at most 1000: SQS's redrive counts no higher (got 2000); "
        "fix: use max_receives = 1000 or less",
        "queues.r.retention: should be between 1m and 336h (14 days): what SQS keeps a message "
        'for (got \'30s\'); fix: use retention = "336h" or less (and "1m" or more)',
    ]


def test_a_worker_scaling_on_its_queue_depth_is_one_host_only() -> None:
    worker = (
        '[services.worker]\ncommand = "w"\nqueue = "redis:///jobs"\n'
        "autoscale = { max = 4, target = { queue_depth = 100 } }\n"
    )
    assert lines(WEB + worker) == [
        "services.worker.autoscale.target.queue_depth: is read from the Redis add-on by "
        "launchdeck's one-host autoscaler; on AWS the queue is in ElastiCache, which publishes "
        "no list length for ECS to track (got 100); fix: scale worker on cpu on AWS: "
        '[environments.production.autoscale.worker] target = { cpu = "60%" }'
    ]
    # the fix it gives is one the manifest takes, and AWS then synthesizes
    fixed = WEB + worker + '[environments.production.autoscale.worker]\ntarget = { cpu = "60%" }\n'
    assert lines(fixed) == []
    assert lines(fixed, "staging") != []  # staging still tracks the queue: one host only
