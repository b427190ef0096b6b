"""`launchdeck aws ...`. Heavy imports (boto3, troposphere) wait for the command that needs
them, so the rest of the CLI starts fast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from launchdeck.cli.client import CliError
from launchdeck.cli.output import console
from launchdeck.domain import Manifest

app = typer.Typer(
    help="Run the same manifest on AWS (ECS Fargate, ALB, RDS...) with your AWS credentials.",
    no_args_is_help=True,
)
ci_cmd = typer.Typer(
    help="CI workflows that build, push by digest and deploy.", no_args_is_help=True
)
app.add_typer(ci_cmd, name="ci")

PathArg = Annotated[Path, typer.Argument(help="The app's root directory.")]


def load(path: Path) -> Manifest:
    from launchdeck.manifest import ManifestError, load_manifest

    try:
        return load_manifest(path)
    except ManifestError as exc:
        raise CliError(str(exc), "fix the manifest and run the command again") from None
    except FileNotFoundError as exc:
        raise CliError(f"{path}: {exc.strerror}", "pass the app's root directory") from None


@ci_cmd.command("github")
def ci_github(
    path: PathArg = Path("."),
    app_name: Annotated[str | None, typer.Option("--app", "-a", help="App name.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing workflow.")] = False,
) -> None:
    """Write .github/workflows/launchdeck.yml (and a Dockerfile when the app has none)."""
    from launchdeck.build import BuildError
    from launchdeck.build.dockerfile import docker_files
    from launchdeck.drivers.aws.workflow import WORKFLOW_PATH, github_workflow

    manifest = load(path)
    name = app_name or manifest.app
    if not name:
        raise CliError("no app given", 'pass --app NAME or set app = "..." in launchdeck.toml')
    workflow = path / WORKFLOW_PATH
    if workflow.exists() and not force:
        raise CliError(f"{workflow} exists", "pass --force to overwrite it")
    region = aws_region(manifest)
    written = []
    if not (path / "Dockerfile").exists():
        web = next((s for s in manifest.services.values() if s.routed), None)
        try:
            files = docker_files(path, manifest.build, command=web.command if web else None)
        except BuildError as exc:
            raise CliError(str(exc)) from None
        (path / "Dockerfile").write_text(files.dockerfile)
        written.append(path / "Dockerfile")
        if not (path / ".dockerignore").exists():
            (path / ".dockerignore").write_text(files.dockerignore)
            written.append(path / ".dockerignore")
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(github_workflow(name, list(manifest.services), region))
    written.append(workflow)
    for file in written:
        console.print(f"wrote {file}")
    console.print(
        "next: set the repository variable LAUNCHDECK_DEPLOY_ROLE_ARN to the shared stack's "
        "DeployRoleArn output, and add required reviewers to the `production` environment"
    )


def aws_region(manifest: Manifest) -> str:
    aws = getattr(manifest, "aws", None)
    return str(getattr(aws, "region", None) or "us-east-1")
