"""`launchdeck aws ...`. Heavy imports (boto3, troposphere) wait for the command that needs
them, so the rest of the CLI starts fast. Every check that needs no AWS call (manifest, image
reference, templates, credentials) runs before the first one."""

from __future__ import annotations

import dataclasses
import json
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from launchdeck.awscli.show import (
    RunOutput,
    confirm_change_set,
    confirm_production,
    show_event,
    show_status,
)
from launchdeck.cli.client import CliError
from launchdeck.cli.output import console, log_style, print_json
from launchdeck.cli.source import parse_since
from launchdeck.domain import Manifest

if TYPE_CHECKING:
    from launchdeck.awsdeploy import AwsApis

app = typer.Typer(
    help="Run the same manifest on AWS (ECS Fargate, ALB, RDS...) with your AWS credentials.",
    no_args_is_help=True,
)
ci_cmd = typer.Typer(
    help="CI workflows that build, push by digest and deploy.", no_args_is_help=True
)
app.add_typer(ci_cmd, name="ci")

PathOpt = Annotated[Path, typer.Option("--path", "-p", help="The app's root directory.")]
AppOpt = Annotated[str | None, typer.Option("--app", "-a", help="App name (default: manifest's).")]
EnvOpt = Annotated[str, typer.Option("--env", "-e", help="Environment.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS profile to use.")]


def load(path: Path, app_name: str | None = None) -> Manifest:
    """The manifest at `path`, its app named (by --app or the manifest)."""
    from launchdeck.manifest import ManifestError, load_manifest

    try:
        manifest = load_manifest(path)
    except ManifestError as exc:
        raise CliError(str(exc), "fix the manifest and run the command again") from None
    except FileNotFoundError as exc:
        raise CliError(f"{path}: {exc.strerror}", "pass the app's root directory") from None
    name = app_name or manifest.app
    if not name:
        raise CliError("no app given", 'pass --app NAME or set app = "..." in launchdeck.toml')
    return dataclasses.replace(manifest, app=name)


def templates(manifest: Manifest, env: str) -> dict[str, Any]:
    """Stack name -> troposphere Template for the shared stack and `env`'s stack."""
    from launchdeck.drivers.aws.errors import AwsSynthError
    from launchdeck.drivers.aws.synth import stack_names, synth_env, synth_shared

    assert manifest.app is not None
    shared_name, env_name = stack_names(manifest.app, env)
    try:
        return {shared_name: synth_shared(manifest), env_name: synth_env(manifest, env)}
    except AwsSynthError as exc:
        fix = exc.fix or "fix the manifest; nothing was sent to AWS"
        raise CliError(exc.message, fix) from None


def compact_bodies(manifest: Manifest, env: str) -> tuple[str, str]:
    """(shared, env) template bodies, refusing one that would need a parameter we cannot give."""
    from launchdeck.drivers.aws.synth import to_json

    shared, env_template = (to_json(t, compact=True) for t in templates(manifest, env).values())
    required = [
        name
        for name, spec in json.loads(env_template).get("Parameters", {}).items()
        if "Default" not in spec and name != "ImageDigest"
    ]
    if "CertificateArn" in required:
        raise CliError(
            f"aws.certificate_arn: HTTPS for {env} needs a certificate (got none)",
            'set certificate_arn = "arn:aws:acm:..." or domain = "example.com" under [aws] '
            f"(or [environments.{env}.aws])",
        )
    if required:
        raise CliError(f"the {env} template needs parameters launchdeck cannot set: {required}")
    return shared, env_template


@contextmanager
def aws_errors() -> Iterator[None]:
    """AWS failures become a CLI error with the reason and the fix they carry."""
    from launchdeck.drivers.aws.errors import AwsError

    try:
        yield
    except AwsError as exc:
        raise CliError(exc.message, exc.fix) from None


class Target(NamedTuple):
    """What every AWS use case starts with: `run(*target, ...)`."""

    aws: AwsApis
    app: str
    env: str
    services: list[str]


@contextmanager
def on_aws(
    manifest: Manifest, env: str, profile: str | None, services: list[str] | None = None
) -> Iterator[Target]:
    """The app's environment on AWS with the user's credentials (or a CLI error saying where
    they were looked for); any AWS failure inside becomes a CLI error too."""
    from launchdeck.awsdeploy import open_aws
    from launchdeck.drivers.aws.credentials import resolve_session

    assert manifest.app is not None
    with aws_errors():
        aws = open_aws(resolve_session(manifest.for_env(env).aws.region, profile=profile))
        yield Target(
            aws, manifest.app, env, list(manifest.services) if services is None else services
        )


# -- commands --------------------------------------------------------------------------------


@app.command()
def synth(
    path: PathOpt = Path("."),
    app_name: AppOpt = None,
    env: EnvOpt = "production",
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write to.")] = Path(
        "launchdeck.out"
    ),
) -> None:
    """Write the CloudFormation templates (shared stack + the environment's) as JSON."""
    from launchdeck.drivers.aws.synth import write

    started = time.monotonic()
    manifest = load(path, app_name)
    built = templates(manifest, env)
    for file, template in zip(write(built, out), built.values(), strict=True):
        size = file.stat().st_size
        console.print(f"wrote {file} ({len(template.resources)} resources, {size:,} bytes)")
    console.print(f"synthesized in {time.monotonic() - started:.2f}s", style="dim")


@app.command()
def cost(
    path: PathOpt = Path("."),
    app_name: AppOpt = None,
    env: EnvOpt = "production",
    as_json: JsonOpt = False,
) -> None:
    """Estimate the monthly cost of what `synth` creates, from the price table in the repo."""
    from launchdeck.drivers.aws.cost import estimate

    manifest = load(path, app_name)
    templates(manifest, env)  # the same checks synth makes: no estimate for what cannot exist
    with aws_errors():
        report = estimate(manifest, env)
    if as_json:
        print_json(
            {
                "region": report.region,
                "prices_of": report.date,
                "env": report.env,
                "lines": [dataclasses.asdict(line) for line in report.lines],
                "total": report.total,
            }
        )
    else:
        console.print(report.text(), markup=False)


@app.command()
def deploy(
    image: Annotated[str, typer.Option("--image", help="URI@sha256:... (a digest, not a tag).")],
    path: PathOpt = Path("."),
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    yes: YesOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Create or update the environment's stack through a change set, then watch ECS roll out."""
    from launchdeck.awsdeploy import deploy as run_deploy
    from launchdeck.drivers.aws.images import parse_image

    manifest = load(path, app_name)
    with aws_errors():
        ref = parse_image(image)
        shared, env_template = compact_bodies(manifest, env)
    with on_aws(manifest, env, profile) as target:
        result = run_deploy(
            *target, shared, env_template, ref,
            confirm=confirm_change_set, on_event=show_event, yes=yes,
        )  # fmt: skip
    console.print(f"{result.app} {result.env}: {result.outcome.value} ({result.digest})")


@app.command()
def promote(
    from_env: Annotated[str, typer.Option("--from", help="Environment to take the image from.")],
    to_env: Annotated[str, typer.Option("--to", help="Environment to deploy it to.")],
    path: PathOpt = Path("."),
    app_name: AppOpt = None,
    yes: YesOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Deploy the exact image digest `--from` runs to `--to`; nothing is rebuilt."""
    from launchdeck.awsdeploy import promote as run_promote

    manifest = load(path, app_name)
    shared, env_template = compact_bodies(manifest, to_env)
    with on_aws(manifest, to_env, profile) as target:
        result = run_promote(
            target.aws, target.app, from_env, to_env, target.services, shared, env_template,
            confirm=confirm_change_set, on_event=show_event, yes=yes,
        )  # fmt: skip
    console.print(f"{result.app} {result.env}: {result.outcome.value} ({result.digest})")


@app.command()
def rollback(
    path: PathOpt = Path("."),
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    profile: ProfileOpt = None,
) -> None:
    """Put every service back on its previous task definition, through ECS directly."""
    from launchdeck.awsdeploy import rollback as run_rollback

    with on_aws(load(path, app_name), env, profile) as target:
        result = run_rollback(*target, on_event=show_event)
    for moved in result.services:
        console.print(f"{moved.service}: {moved.from_revision} -> {moved.to_revision}")


@app.command()
def status(
    path: PathOpt = Path("."),
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    as_json: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """The stack, the image digest, and each service's tasks and rollout."""
    from launchdeck.awsdeploy import status as run_status

    with on_aws(load(path, app_name), env, profile) as target:
        found = run_status(*target)
    if as_json:
        print_json(dataclasses.asdict(found))
    else:
        show_status(found)


@app.command()
def logs(
    path: PathOpt = Path("."),
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing.")] = False,
    since: Annotated[str, typer.Option("--since", help="e.g. 10m, 1h, 2d.")] = "1h",
    service: Annotated[str | None, typer.Option("--service", "-s")] = None,
    profile: ProfileOpt = None,
) -> None:
    """Service logs from CloudWatch Logs."""
    from launchdeck.awsdeploy import logs as run_logs

    manifest = load(path, app_name)
    wanted = list(manifest.services)
    if service is not None:
        if service not in wanted:
            raise CliError(
                f"--service {service!r}: no such service", f"one of: {', '.join(wanted)}"
            )
        wanted = [service]
    window = timedelta(seconds=parse_since(since))
    with on_aws(manifest, env, profile, wanted) as target:
        for line in run_logs(*target, since=window, follow=follow):
            text = str(line)
            console.print(text, style=log_style(text), markup=False)


@app.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
def run(
    command: Annotated[list[str], typer.Argument(help="The command, after --.")],
    path: PathOpt = Path("."),
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Print the task's ARN and return.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm a run in production.")] = False,
    profile: ProfileOpt = None,
) -> None:
    """Run a one-off command (migrations, a script) as an ECS task of the environment's release:
    its image, config, secrets and add-ons. Prints its output and exits with its exit code."""
    from launchdeck.awsdeploy import run as run_task

    line = command[0] if len(command) == 1 else shlex.join(command)
    manifest = load(path, app_name)
    confirm_production(env, line, yes)
    follow = RunOutput()
    with on_aws(manifest, env, profile) as target:
        try:
            result = run_task(
                target.aws, target.app, env, line,
                detach=detach, on_event=follow.event, on_line=follow.line,
            )  # fmt: skip
        except KeyboardInterrupt:
            raise CliError(*follow.left_running()) from None
    if detach:
        typer.echo(result.task)  # for a script: `task=$(launchdeck aws run -d -- ...)`
        return
    raise typer.Exit(result.exit_code or 0)


@ci_cmd.command("github")
def ci_github(
    path: PathOpt = Path("."),
    app_name: AppOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing workflow.")] = False,
) -> None:
    """Write .github/workflows/launchdeck.yml (and a Dockerfile when the app has none)."""
    from launchdeck.awscli.ci import write_ci

    for file in write_ci(load(path, app_name), path, force=force):
        console.print(f"wrote {file}")
    console.print(
        "next: set the repository variable LAUNCHDECK_DEPLOY_ROLE_ARN to the shared stack's "
        "DeployRoleArn output, and add required reviewers to the `production` environment"
    )
