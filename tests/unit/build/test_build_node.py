from __future__ import annotations

import json
from pathlib import Path

import pytest

from launchdeck.build import BuildError
from launchdeck.build.node import NodePack
from tests.unit.build.fakes import MakeApp, RecordingRunner

ENVIRON = {"PATH": "/usr/bin:/bin"}
LOCK = json.dumps({"name": "web", "lockfileVersion": 3, "packages": {"": {"name": "web"}}})


def package(**fields: object) -> str:
    return json.dumps({"name": "web", "version": "1.0.0", **fields})


def pack(runner: RecordingRunner) -> NodePack:
    return NodePack(runner=runner, environ=ENVIRON)


def test_lockfile_is_required(runner: RecordingRunner, make_app: MakeApp) -> None:
    app = make_app({"package.json": package()})
    with pytest.raises(BuildError) as info:
        pack(runner).deps_key(app)
    assert str(info.value) == (
        f"{app}: package-lock.json is missing: run `npm install` and commit package-lock.json"
    )


def test_shrinkwrap_counts_as_a_lockfile(runner: RecordingRunner, make_app: MakeApp) -> None:
    app = make_app({"package.json": package(), "npm-shrinkwrap.json": LOCK})
    assert pack(runner).deps_key(app)


def test_key_ignores_scripts_but_not_dependencies(
    runner: RecordingRunner, make_app: MakeApp
) -> None:
    base = make_app({"package.json": package(), "package-lock.json": LOCK}, name="base")
    scripts = make_app(
        {"package.json": package(scripts={"build": "x"}), "package-lock.json": LOCK}, name="s"
    )
    deps = make_app(
        {"package.json": package(dependencies={"a": "1"}), "package-lock.json": LOCK}, name="d"
    )
    lock = make_app({"package.json": package(), "package-lock.json": LOCK + "\n"}, name="l")
    node = pack(runner)
    assert node.deps_key(base) == node.deps_key(scripts)
    assert node.deps_key(base) not in {node.deps_key(deps), node.deps_key(lock)}


def test_invalid_package_json(runner: RecordingRunner, make_app: MakeApp) -> None:
    app = make_app({"package.json": "{", "package-lock.json": LOCK})
    with pytest.raises(BuildError, match=r"package.json: invalid JSON .*: fix the syntax"):
        pack(runner).deps_key(app)


def test_install_runs_npm_ci_beside_a_copy_of_the_manifests(
    runner: RecordingRunner, make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({"package.json": package(), "package-lock.json": LOCK})
    env = tmp_path / "env"
    env.mkdir()
    pack(runner).install(app, env, lambda line: None)
    (command,) = runner.commands
    assert command.argv == ("npm", "ci", "--omit=dev", "--no-audit", "--no-fund")
    assert command.cwd == env
    assert command.env is not None and command.env["NODE_ENV"] == "production"
    assert sorted(p.name for p in env.iterdir()) == [
        "node_modules",
        "package-lock.json",
        "package.json",
    ]


def test_link_and_env(runner: RecordingRunner, tmp_path: Path) -> None:
    app, deps = tmp_path / "app", tmp_path / "deps"
    app.mkdir()
    node = pack(runner)
    node.link(app, deps)
    assert (app / "node_modules").readlink() == deps / "node_modules"
    assert node.env(app, deps) == {
        "NODE_ENV": "production",
        "PATH": f"{app / 'node_modules' / '.bin'}:/usr/bin:/bin",
    }


def test_npm_failure_keeps_the_error_not_the_usage_text(make_app: MakeApp, tmp_path: Path) -> None:
    output = (
        "npm warn config\nnpm error code EUSAGE\nnpm error not in sync\n"
        + "npm error   --usage\n" * 60
    )
    runner = RecordingRunner({"npm ci": (1, output)})
    app = make_app({"package.json": package(), "package-lock.json": LOCK})
    (tmp_path / "env").mkdir()
    with pytest.raises(BuildError) as info:
        pack(runner).install(app, tmp_path / "env", lambda line: None)
    assert str(info.value) == (
        "npm ci failed (exit 1): fix package.json / package-lock.json and build again"
    )
    assert info.value.log_tail.splitlines()[:2] == [
        "npm error code EUSAGE",
        "npm error not in sync",
    ]
    assert len(info.value.log_tail.splitlines()) == 20
