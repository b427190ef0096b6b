"""`launchdeck aws ci github`: the workflow file, and a Dockerfile when the app has none."""

from __future__ import annotations

from pathlib import Path

from launchdeck.cli.client import CliError
from launchdeck.domain import Manifest


def write_ci(manifest: Manifest, root: Path, *, force: bool) -> list[Path]:
    from launchdeck.build import BuildError
    from launchdeck.build.dockerfile import docker_files
    from launchdeck.drivers.aws.workflow import WORKFLOW_PATH, github_workflow

    assert manifest.app is not None
    workflow = root / WORKFLOW_PATH
    if workflow.exists() and not force:
        raise CliError(f"{workflow} exists", "pass --force to overwrite it")
    text = github_workflow(manifest.app, list(manifest.services), manifest.aws.region)
    written = []
    if not (root / "Dockerfile").exists():
        web = next((s for s in manifest.services.values() if s.routed), None)
        try:
            files = docker_files(root, manifest.build, command=web.command if web else None)
        except BuildError as exc:
            raise CliError(str(exc)) from None
        (root / "Dockerfile").write_text(files.dockerfile)
        written.append(root / "Dockerfile")
        if not (root / ".dockerignore").exists():
            (root / ".dockerignore").write_text(files.dockerignore)
            written.append(root / ".dockerignore")
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(text)
    return [*written, workflow]
