"""`launchdeck aws run -- COMMAND` as a user types it, against the in-memory AWS world."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from launchdeck import awsdeploy
from launchdeck.awscli.main import Target
from launchdeck.awsdeploy import Waits, deploy
from launchdeck.cli.client import CliError
from launchdeck.entry import app
from tests.unit.aws_deploy.fakes import (
    DIGEST_A,
    REGISTRY,
    TASK_ID,
    TaskScript,
    World,
    env_template,
    shared_template,
)
from tests.unit.awscli.test_aws_commands import app_dir


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    """`staging` deployed in an in-memory account, which `launchdeck aws ...` is handed."""
    found = World()
    found.push(DIGEST_A)
    deploy(
        found.aws, "shop", "staging", ["web", "worker"], shared_template(), env_template(),
        f"{REGISTRY}/launchdeck/shop/web@{DIGEST_A}",
        confirm=lambda _: True, clock=found.clock, waits=Waits(),
    )  # fmt: skip
    found.calls.clear()

    @contextmanager
    def on_aws(
        manifest: object, env: str, profile: object, services: object = None
    ) -> Iterator[Target]:
        yield Target(found.aws, "shop", env, ["web", "worker"])

    monkeypatch.setattr("launchdeck.awscli.main.on_aws", on_aws)
    # the command polls on the world's clock, which never waits for real
    monkeypatch.setattr(awsdeploy, "run", partial(awsdeploy.run, clock=found.clock))
    return found


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["aws", "run", *args])


def test_the_commands_output_and_exit_code_pass_through(tmp_path: Path, world: World) -> None:
    world.tasks.script = TaskScript(lines={2: ["Applying shop.0001_initial... OK"]}, exit_code=4)
    src = app_dir(tmp_path, "web.toml")
    result = invoke("--path", str(src), "--", "python", "manage.py", "migrate", "--noinput")
    assert result.exit_code == 4, result.output
    assert result.stdout == "Applying shop.0001_initial... OK\n"
    assert (
        f"task {TASK_ID} of shop-staging-run: python manage.py migrate --noinput" in result.stderr
    )
    assert world.tasks.started[0].command == "python manage.py migrate --noinput"


def test_one_argument_is_a_shell_command_line(tmp_path: Path, world: World) -> None:
    src = app_dir(tmp_path, "web.toml")
    result = invoke("--path", str(src), "--", "python manage.py migrate && echo done")
    assert result.exit_code == 0, result.output
    assert world.tasks.started[0].command == "python manage.py migrate && echo done"


def test_detached_it_prints_the_task_arn(tmp_path: Path, world: World) -> None:
    src = app_dir(tmp_path, "web.toml")
    result = invoke("--path", str(src), "--detach", "--", "python", "report.py")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"arn:aws:ecs:us-east-1:123456789012:task/shop-staging/{TASK_ID}\n"
    assert [name for name, _ in world.calls if name == "describe_tasks"] == []


def test_ctrl_c_leaves_the_task_running_and_says_how_to_stop_it(
    tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(world.tasks, "describe", interrupted)
    src = app_dir(tmp_path, "web.toml")
    result = invoke("--path", str(src), "--", "python", "manage.py", "shell")
    assert isinstance(result.exception, CliError)
    assert result.exception.message == f"stopped following task {TASK_ID}: it keeps running"
    assert result.exception.fix == (
        f"stop it with: aws ecs stop-task --cluster shop-staging --task {TASK_ID}"
    )


def test_production_needs_yes_before_any_aws_call(tmp_path: Path, no_aws: None) -> None:
    src = app_dir(tmp_path, "web.toml")
    result = invoke(
        "--path", str(src), "--env", "production", "--", "python", "manage.py", "migrate"
    )
    assert isinstance(result.exception, CliError)
    assert (result.exception.message, result.exception.fix) == (
        "a run in production needs confirmation: python manage.py migrate",
        "pass --yes (-y) to run it",
    )
