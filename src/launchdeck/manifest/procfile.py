"""The Heroku Procfile: one `name: command` line per process type.

`web` is the only type that gets a port (and so traffic and a health check), as on Heroku.
"""

from __future__ import annotations

import re

from launchdeck.domain import HealthCheck, ServiceSpec
from launchdeck.domain.models import NAME_RE
from launchdeck.manifest.errors import MISSING, Issue, ManifestError
from launchdeck.manifest.values.suggest import to_name

WEB = "web"
_LINE = re.compile(r"^([^\s:#]+)\s*:(.*)$")


def parse_procfile(text: str, *, source: str = "Procfile") -> dict[str, ServiceSpec]:
    """Services by name; raises ManifestError listing every bad line."""
    services: dict[str, ServiceSpec] = {}
    first_line: dict[str, int] = {}
    issues: list[Issue] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        issue, spec = _parse_line(f"line {number}", entry, first_line)
        if issue is not None:
            issues.append(issue)
        elif spec is not None:
            services[spec.name] = spec
            first_line[spec.name] = number
    if not issues and not services:
        fix = 'add a line like "web: gunicorn app:app --bind 0.0.0.0:$PORT"'
        issues.append(Issue("", MISSING, "no process types", fix))
    if issues:
        raise ManifestError(issues, source=source)
    return services


def _parse_line(
    path: str, entry: str, first_line: dict[str, int]
) -> tuple[Issue | None, ServiceSpec | None]:
    match = _LINE.match(entry)
    if match is None:
        name, _, rest = entry.partition(" ")
        fix = f"write it as '{name}: {rest.strip()}'" if rest.strip() else "write 'web: <command>'"
        return Issue(path, entry, "should be 'name: command'", fix), None
    name, command = match[1], match[2].strip()
    if not NAME_RE.fullmatch(name):
        fix = f"use {suggested!r}" if (suggested := to_name(name)) else "use a name like 'worker'"
        message = "process type should be lowercase letters, digits and '-', starting with a letter"
        return Issue(path, name, message, fix), None
    if not command:
        return Issue(path, entry, "command is empty", f"add the command after '{name}:'"), None
    if name in first_line:
        message = f"duplicate process type, first defined on line {first_line[name]}"
        return Issue(path, name, message, "rename or remove one of them"), None
    return None, _service(name, command)


def _service(name: str, command: str) -> ServiceSpec:
    if name == WEB:
        return ServiceSpec(name=name, command=command, port=True, health=HealthCheck())
    return ServiceSpec(name=name, command=command)
