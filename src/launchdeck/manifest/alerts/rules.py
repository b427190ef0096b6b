"""Rules across alerts, checked once every alert is valid on its own: names are unique in their
list, an environment turns off only alerts that exist, request figures need a service that
gets requests. Paths index the file's lists, which the domain Manifest no longer has (an
alert that is off is left out of it), so these run on the schema, with the merged services.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from launchdeck.domain import ServiceSpec
from launchdeck.domain.alerts import BUILTIN_NAMES, AlertMetric
from launchdeck.manifest.alerts.schema import AlertTable
from launchdeck.manifest.errors import Issue
from launchdeck.manifest.schema import ManifestFile
from launchdeck.manifest.values.suggest import closest


def check_alerts(file: ManifestFile, services: Mapping[str, ServiceSpec]) -> list[Issue]:
    """Every problem across `file`'s alerts: the top-level ones, then each environment's."""
    routed = [name for name, spec in services.items() if spec.port]
    issues = _alert_list_issues("alerts", file.alerts, routed)
    issues += [
        Issue(
            f"alerts.{index}.enabled",
            False,
            "turns nothing off: this alert has no metric or log, and no built-in alert has "
            "this name",
            "remove this entry; to turn an alert off in one environment, add "
            "[[environments.<env>.alerts]] with its name and enabled = false; the built-in "
            f"alerts are {', '.join(sorted(BUILTIN_NAMES))}",
        )
        for index, alert in enumerate(file.alerts)
        if _switch(alert) and alert.name not in BUILTIN_NAMES
    ]
    top = [alert.name for alert in file.alerts if not _switch(alert)]
    known = [*top, *sorted(BUILTIN_NAMES)]
    for env, table in file.environments.items():
        prefix = f"environments.{env}.alerts"
        issues += _alert_list_issues(prefix, table.alerts, routed)
        issues += [
            _nothing_to_turn_off(f"{prefix}.{index}.name", alert.name, known)
            for index, alert in enumerate(table.alerts)
            if _switch(alert) and alert.name not in known
        ]
    return issues


def _alert_list_issues(prefix: str, alerts: Sequence[AlertTable], routed: list[str]) -> list[Issue]:
    issues: list[Issue] = []
    first: dict[str, int] = {}
    for index, alert in enumerate(alerts):
        path = f"{prefix}.{index}"
        earlier = first.setdefault(alert.name, index)
        if earlier != index:
            issues.append(
                Issue(
                    f"{path}.name",
                    alert.name,
                    f"should be unique: {prefix}.{earlier} has this name too",
                    "give each alert its own name",
                )
            )
        if alert.metric is not None and AlertMetric(alert.metric).per_request:
            issues += _unmeasured(path, alert, routed)
    return issues


def _unmeasured(path: str, alert: AlertTable, routed: list[str]) -> list[Issue]:
    """A request figure of a service that gets no requests: it would never have data."""
    instead = "or watch cpu or memory"
    if alert.service is not None and alert.service not in routed:
        fix = f'use service = "{routed[0]}", {instead}' if routed else "watch cpu or memory"
        message = f"{alert.service} has no port, so it gets no requests and has no {alert.metric}"
        return [Issue(f"{path}.service", alert.service, message, fix)]
    if alert.service is None and not routed:
        message = "needs requests to measure, and no service has a port"
        fix = f'add port = "$PORT" to a service, {instead}'
        return [Issue(f"{path}.metric", alert.metric, message, fix)]
    return []


def _switch(alert: AlertTable) -> bool:
    """An entry that only turns an alert off: `name = "slow"  enabled = false`."""
    return not alert.enabled and alert.metric is None and alert.log is None


def _nothing_to_turn_off(path: str, name: str, known: list[str]) -> Issue:
    match = closest(name, known)
    listed = f"the alerts to turn off are: {', '.join(known)}"
    return Issue(
        path,
        name,
        "names no top-level [[alerts]] and no built-in alert to turn off",
        f"did you mean {match!r}? {listed}" if match else f"remove this entry; {listed}",
    )
