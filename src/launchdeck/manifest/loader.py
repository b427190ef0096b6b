"""Read an app's launchdeck.toml (or Procfile) and produce a validated domain Manifest.

Validation runs in two passes: the schema checks every value (all problems at once), then the
cross-field rules check the merged result and the alerts across each other. Either pass raises
ManifestError with every issue.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from launchdeck.domain import Manifest, ServiceSpec
from launchdeck.manifest.alerts.rules import check_alerts
from launchdeck.manifest.convert import to_manifest
from launchdeck.manifest.cron import app_json_cron
from launchdeck.manifest.errors import MISSING, Issue, ManifestError
from launchdeck.manifest.issues import issues_from
from launchdeck.manifest.procfile import parse_procfile
from launchdeck.manifest.rules import NO_SERVICES_FIX, check
from launchdeck.manifest.schema import ManifestFile

MANIFEST_NAME = "launchdeck.toml"
PROCFILE_NAME = "Procfile"
APP_JSON_NAME = "app.json"  # Dokku's; launchdeck reads its `cron`
_WHERE = re.compile(
    r"^(?P<message>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$"
)
# tomllib's wording -> what usually caused it.
_SYNTAX_FIXES = {
    "Expected '=' after a key": 'write key = value, with text in quotes: key = "value"',
    "Invalid value": 'put text in quotes: key = "value"',
    "Cannot overwrite a value": "each key may appear once; remove the duplicate",
    "Cannot declare": "each table may appear once; merge the duplicates",
    "Unclosed": "close the string, array or table that starts here",
    "Unterminated string": "close the string with the quote it started with",
    "Illegal character '\\n'": 'close the string on the same line: key = "value"',
    "Expected ']'": "close the bracket: [services.web]",
}


def load_manifest(app_dir: Path) -> Manifest:
    """The manifest of the app in `app_dir`: launchdeck.toml, a Procfile, or both."""
    toml_path, procfile_path = app_dir / MANIFEST_NAME, app_dir / PROCFILE_NAME
    if not toml_path.is_file():
        if procfile_path.is_file():
            services = parse_procfile(_read(procfile_path), source=str(procfile_path))
            return with_app_json(Manifest(app=None, services=services), app_dir)
        raise ManifestError(
            [Issue("", MISSING, f"no {MANIFEST_NAME} or Procfile found", NO_SERVICES_FIX)],
            source=str(app_dir),
        )
    raw = _decode(_read(toml_path), str(toml_path))
    procfile = None
    if "services" not in raw and procfile_path.is_file():
        procfile = parse_procfile(_read(procfile_path), source=str(procfile_path))
    return with_app_json(_validate(raw, str(toml_path), procfile), app_dir)


def with_app_json(manifest: Manifest, app_dir: Path) -> Manifest:
    """app.json's `cron` entries (as Dokku reads them) join the manifest's `[cron]` jobs."""
    path = app_dir / APP_JSON_NAME
    if not path.is_file():
        return manifest
    try:
        data = json.loads(_read(path))
    except ValueError as exc:
        fix = "fix the JSON, or remove app.json"
        raise ManifestError(
            [Issue("", MISSING, f"not JSON: {exc}", fix)], source=str(path)
        ) from None
    jobs, issues = app_json_cron(data)
    if issues:
        raise ManifestError(issues, source=str(path))
    return replace(manifest, cron={**jobs, **manifest.cron})


def parse_manifest(
    text: str,
    *,
    source: str = MANIFEST_NAME,
    services: Mapping[str, ServiceSpec] | None = None,
) -> Manifest:
    """Parse launchdeck.toml text. `services` (from a Procfile) apply when it has no [services]."""
    return _validate(_decode(text, source), source, services)


def _validate(
    raw: dict[str, Any], source: str, services: Mapping[str, ServiceSpec] | None
) -> Manifest:
    procfile = services if "services" not in raw else None
    known = _service_names(raw.get("services")) if procfile is None else tuple(procfile)
    try:
        file = ManifestFile.model_validate(raw, context={"services": known})
    except ValidationError as error:
        raise ManifestError(issues_from(error, raw, ManifestFile), source=source) from None
    manifest = to_manifest(file, procfile)
    issues = check(manifest) + check_alerts(file, manifest.services)
    if issues:
        raise ManifestError(issues, source=source)
    return manifest


def _service_names(services: object) -> tuple[str, ...] | None:
    # None tells the schema not to check references: a malformed [services] is reported anyway.
    if services is None:
        return ()
    return tuple(services) if isinstance(services, dict) else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        issue = Issue("", MISSING, f"is not UTF-8 text ({error.reason})", "save it as UTF-8")
        raise ManifestError([issue], source=str(path)) from None


def _decode(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError([_syntax_issue(str(error), text)], source=source) from None


def _syntax_issue(error: str, text: str) -> Issue:
    match = _WHERE.match(error)
    message = match["message"] if match else error
    fix = next((fix for start, fix in _SYNTAX_FIXES.items() if message.startswith(start)), None)
    fix = fix or "see https://toml.io for the syntax"
    if match is None or match["line"] is None:
        # The parser ran out of text: something opened earlier was never closed.
        fix = "close the string, array or table that is still open at the end of the file"
        return Issue("end of file", MISSING, message[:1].lower() + message[1:], fix)
    line, column = int(match["line"]), int(match["column"])
    lines = text.splitlines()
    source_line = lines[line - 1].strip() if line <= len(lines) else MISSING
    path = f"line {line}, column {column}"
    return Issue(path, source_line, message[:1].lower() + message[1:], fix)
