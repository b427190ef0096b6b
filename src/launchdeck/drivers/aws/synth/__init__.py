"""CloudFormation for an app, synthesized with troposphere: a shared stack (image repositories,
the CI deploy role) and one stack per environment (network, ALB, ECS Fargate, add-ons, alarms).

The CLI calls exactly these; the names, the env stack's parameters and its outputs are the
contract with the deploy side (drivers/aws/names.py, docs/aws.md). Nothing here calls AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from troposphere import Template

from launchdeck.domain import Manifest
from launchdeck.drivers.aws.errors import AwsIssue, AwsSynthError
from launchdeck.drivers.aws.names import stack_names, title
from launchdeck.drivers.aws.synth.context import resolve
from launchdeck.drivers.aws.synth.environment import environment_template
from launchdeck.drivers.aws.synth.shared import shared_template
from launchdeck.drivers.aws.synth.validate import shared_issues, validate

__all__ = [
    "AwsIssue",
    "AwsSynthError",
    "Template",
    "stack_names",
    "synth_env",
    "synth_shared",
    "title",
    "to_json",
    "validate",
    "write",
]


def synth_shared(manifest: Manifest) -> Template:
    """Stack `launchdeck-<app>`: ECR repositories and the GitHub OIDC deploy role."""
    issues = shared_issues(manifest)
    if issues or manifest.app is None:
        raise AwsSynthError(issues)
    return shared_template(manifest, manifest.app)


def synth_env(manifest: Manifest, env: str) -> Template:
    """Stack `launchdeck-<app>-<env>`; raises AwsSynthError listing every problem validate finds."""
    issues = validate(manifest, env)
    if issues:
        raise AwsSynthError(issues)
    return environment_template(resolve(manifest, env))


def to_json(template: Template, *, compact: bool = False) -> str:
    """The template as CloudFormation JSON, keys in a stable order; `compact` for the API,
    which takes 51,200 bytes inline."""
    if compact:
        return json.dumps(template.to_dict(), separators=(",", ":"), sort_keys=True)
    return json.dumps(template.to_dict(), indent=1, sort_keys=True) + "\n"


def write(templates: Mapping[str, Template], out_dir: Path) -> list[Path]:
    """Each template as `<out_dir>/<stack>.json`; `templates` maps stack name -> template."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stack, template in templates.items():
        path = out_dir / f"{stack}.json"
        path.write_text(to_json(template), encoding="utf-8")
        paths.append(path)
    return paths
