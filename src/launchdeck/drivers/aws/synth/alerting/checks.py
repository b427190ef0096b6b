"""What stops an environment's `[[alerts]]` from becoming CloudWatch alarms, found before any
AWS call: request figures of a service without a port (or of an app without a load balancer),
windows longer than CloudWatch evaluates, log patterns CloudWatch cannot run, names that would
share logical ids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from launchdeck.domain import Manifest
from launchdeck.domain.alerts import REQUEST_METRICS, AlertRule, LogAlert, MetricAlert
from launchdeck.drivers.aws.errors import AwsIssue
from launchdeck.drivers.aws.synth.alerting.log_filters import (
    REGEX_FILTERS_PER_LOG_GROUP,
    Untranslatable,
    filter_pattern,
)
from launchdeck.drivers.aws.synth.alerting.rules import (
    MAX_WINDOW,
    PERIOD,
    evaluation,
    log_period,
    log_services,
    logical_ids,
)
from launchdeck.manifest.values.units import format_duration


def alert_issues(manifest: Manifest, env: str) -> list[AwsIssue]:
    merged = manifest.for_env(env)
    services = list(merged.services)
    routed = [spec.name for spec in merged.services.values() if spec.routed]
    issues: list[AwsIssue] = []
    regexes: Counter[str] = Counter()
    seen: dict[str, str] = {}  # logical id -> the alert that adds it
    for rule in merged.alerts:
        path = _path(manifest, env, rule)
        if rule.service is not None and rule.service not in services:
            issues.append(
                AwsIssue(
                    f"{path}.service",
                    rule.service,
                    "is not a service of this app",
                    f"use one of: {', '.join(services)}, or leave service out for all",
                )
            )
            continue
        if not rule.name.isascii() or not rule.name.isprintable():
            issues.append(
                AwsIssue(
                    f"{path}.name",
                    rule.name,
                    "should be printable ASCII: CloudWatch alarm names take nothing else",
                    "rename the alert with letters, digits and dashes",
                )
            )
        if isinstance(rule, MetricAlert):
            issues += _metric_issues(rule, path, routed)
        else:
            issues += _log_issues(rule, path, services, regexes)
        for logical_id in logical_ids(rule, services):
            other = seen.setdefault(logical_id, rule.name)
            if other != rule.name:
                issues.append(
                    AwsIssue(
                        f"{path}.name",
                        rule.name,
                        f"gets the same CloudFormation name as alert '{other}' ({logical_id})",
                        f"rename '{rule.name}' or '{other}'",
                    )
                )
                break
    return issues


def _path(manifest: Manifest, env: str, rule: AlertRule) -> str:
    """Where the rule is written: the environment's own alerts, else the top-level ones."""
    override = manifest.environments.get(env)
    own = override.alerts if override is not None else ()
    if rule in own:
        return f"environments.{env}.alerts.{own.index(rule)}"
    return f"alerts.{manifest.alerts.index(rule)}" if rule in manifest.alerts else "alerts"


def _metric_issues(rule: MetricAlert, path: str, routed: list[str]) -> Iterator[AwsIssue]:
    if rule.metric.platform:
        yield AwsIssue(
            f"{path}.metric",
            str(rule.metric),
            "is measured by launchdeck's one-host runtime: on AWS, ECS replaces failing tasks "
            "and RDS keeps its own storage, with no such figure in CloudWatch",
            f"turn it off here: [[environments.<env>.alerts]] name = {rule.name!r} and "
            "enabled = false; or alert on cpu or memory",
        )
        return
    if rule.metric in REQUEST_METRICS and rule.service is not None and rule.service not in routed:
        yield AwsIssue(
            f"{path}.service",
            rule.service,
            f"has no port, so the load balancer measures no {rule.metric} for it",
            'alert on its cpu or memory instead, or add port = "$PORT" to it',
        )
    if rule.metric in REQUEST_METRICS and not routed:
        yield AwsIssue(
            f"{path}.metric",
            str(rule.metric),
            "needs a load balancer, and no service has a port",
            'alert on cpu or memory instead, or add port = "$PORT" to a service',
        )
    _, periods = evaluation(rule)
    if periods * PERIOD > MAX_WINDOW:
        field, shown = "for", format_duration(rule.for_s)
        if rule.datapoints is not None:
            field, shown = "datapoints", "{} of {}".format(*rule.datapoints)
        yield AwsIssue(
            f"{path}.{field}",
            shown,
            "is longer than a day, the longest window a CloudWatch alarm evaluates "
            "(one datapoint a minute)",
            'use for = "24h" or less, or datapoints = "M of N" with N at most 1440',
        )


def _log_issues(
    rule: LogAlert, path: str, services: list[str], regexes: Counter[str]
) -> Iterator[AwsIssue]:
    if log_period(rule) > MAX_WINDOW:
        yield AwsIssue(
            f"{path}.within",
            format_duration(rule.within_s),
            "is longer than a day, the longest period a CloudWatch alarm takes",
            'use within = "24h" or less',
        )
    try:
        pattern = filter_pattern(rule.pattern)
    except Untranslatable as refused:
        yield AwsIssue(f"{path}.log", rule.pattern, refused.message, refused.fix)
        return
    if not pattern.regex:
        return
    over = []
    for service in log_services(rule, services):
        regexes[service] += 1
        if regexes[service] > REGEX_FILTERS_PER_LOG_GROUP:
            over.append(service)
    if over:
        yield AwsIssue(
            f"{path}.log",
            rule.pattern,
            f"is a regular expression beyond the {REGEX_FILTERS_PER_LOG_GROUP} CloudWatch allows "
            f"on a log group (of {', '.join(over)})",
            "write it as text alternatives ('Traceback|CRITICAL' needs no regex), or join two "
            "alerts' patterns with |",
        )
