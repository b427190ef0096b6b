from __future__ import annotations

import json
from pathlib import Path

import pytest

from launchdeck.build import Builder, BuildError, UnknownBuild
from launchdeck.domain import BuildSpec
from tests.unit.build.fakes import MakeApp, RecordingRunner, SteppingClock, leftovers

ENVIRON = {"PATH": "/usr/bin:/bin"}
PROCFILE = {"Procfile": "web: ./serve\n"}


@pytest.fixture
def builder(tmp_path: Path, runner: RecordingRunner, clock: SteppingClock) -> Builder:
    return Builder(tmp_path / "root", runner=runner, python="python3", clock=clock, environ=ENVIRON)


def test_generic_build_is_stored_under_its_digest(builder: Builder, make_app: MakeApp) -> None:
    app = make_app({**PROCFILE, "serve": "#!/bin/sh\n"})
    lines: list[str] = []
    artifact = builder.build(app, BuildSpec(), log=lines.append, git_sha="abc123")
    hex_ = artifact.ref.digest.removeprefix("sha256:")
    assert artifact.app_dir == builder.get(artifact.ref.digest).app_dir
    assert artifact.app_dir.parent.name == hex_
    assert sorted(p.name for p in artifact.app_dir.iterdir()) == ["Procfile", "serve"]
    assert (artifact.ref.kind, artifact.ref.git_sha, artifact.deps_key) == (
        "generic",
        "abc123",
        None,
    )
    assert (artifact.env, artifact.reused_deps) == ({}, False)
    meta = json.loads((artifact.app_dir.parent / "build.json").read_text())
    assert meta == {
        "digest": artifact.ref.digest,
        "kind": "generic",
        "created_at": artifact.ref.created_at,
        "deps_key": None,
        "git_sha": "abc123",
        "env": {},
    }
    assert lines == ["-----> Generic app detected", f"-----> Build {artifact.ref.digest} ready"]


def test_same_tree_returns_the_existing_build_without_running_anything(
    builder: Builder, runner: RecordingRunner, make_app: MakeApp
) -> None:
    app = make_app({"requirements.txt": "flask\n", "app.py": ""})
    first = builder.build(app, BuildSpec(command="make"))
    ran = len(runner.commands)
    lines: list[str] = []
    again = builder.build(app, BuildSpec(command="make"), log=lines.append)
    assert again.ref == first.ref
    assert len(runner.commands) == ran
    assert (
        lines[-1]
        == f"-----> Build {first.ref.digest} already exists for this source: nothing to do"
    )


def test_code_change_reuses_the_dependency_env(
    builder: Builder, runner: RecordingRunner, make_app: MakeApp
) -> None:
    app = make_app({"requirements.txt": "flask\n", "app.py": "one"})
    first = builder.build(app, BuildSpec())
    (app / "app.py").write_text("two")
    runner.commands.clear()
    lines: list[str] = []
    second = builder.build(app, BuildSpec(), log=lines.append)
    assert second.ref.digest != first.ref.digest
    assert (first.reused_deps, second.reused_deps) == (False, True)
    assert second.deps_key == first.deps_key
    assert runner.commands == []
    assert f"-----> Reusing dependency environment {first.deps_key[:12]}" in lines  # type: ignore[index]


def test_build_command_runs_in_the_staged_app_with_the_deps_env(
    builder: Builder, runner: RecordingRunner, make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({"requirements.txt": "", "app.py": ""})
    artifact = builder.build(app, BuildSpec(command="python -m compileall ."))
    (command,) = [c for c in runner.commands if c.argv[0] == "/bin/sh"]
    assert command.argv == ("/bin/sh", "-c", "python -m compileall .")
    assert command.cwd is not None and command.cwd.is_relative_to(tmp_path / "root" / "tmp")
    assert command.env is not None
    assert command.env["VIRTUAL_ENV"] == artifact.env["VIRTUAL_ENV"]


def test_failed_build_command_leaves_nothing_behind(tmp_path: Path, make_app: MakeApp) -> None:
    runner = RecordingRunner({"/bin/sh -c": (2, "compiling\nboom\n")})
    builder = Builder(tmp_path / "root", runner=runner, environ=ENVIRON)
    with pytest.raises(BuildError) as info:
        builder.build(make_app(PROCFILE), BuildSpec(command="make"))
    assert str(info.value) == "build command `make` failed (exit 2): fix it and build again"
    assert info.value.log_tail == "compiling\nboom"
    assert builder.list() == []
    assert leftovers(tmp_path / "root") == []


def test_failed_install_leaves_no_env(tmp_path: Path, make_app: MakeApp) -> None:
    runner = RecordingRunner({" -m pip ": (1, "ERROR: nope\n")})
    builder = Builder(tmp_path / "root", runner=runner, environ=ENVIRON)
    with pytest.raises(BuildError):
        builder.build(make_app({"requirements.txt": "nope\n"}), BuildSpec())
    assert leftovers(tmp_path / "root") == []


def test_get_unknown_digest(builder: Builder) -> None:
    with pytest.raises(KeyError) as info:
        builder.get("sha256:" + "0" * 64)
    assert isinstance(info.value, UnknownBuild)
    assert str(info.value).startswith(f"sha256:{'0' * 64}: no such build in ")


def test_get_accepts_a_bare_hex_digest(builder: Builder, make_app: MakeApp) -> None:
    artifact = builder.build(make_app(PROCFILE), BuildSpec())
    assert builder.get(artifact.ref.digest.removeprefix("sha256:")).ref == artifact.ref


def test_list_is_newest_first(builder: Builder, make_app: MakeApp) -> None:
    app = make_app(PROCFILE)
    digests = []
    for n in range(3):
        (app / "v").write_text(str(n))
        digests.append(builder.build(app, BuildSpec()).ref.digest)
    assert [ref.digest for ref in builder.list()] == digests[::-1]


def test_a_build_root_inside_the_app_is_not_part_of_it(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "Procfile").write_text("web: x\n")
    builder = Builder(app / "builds", environ=ENVIRON)
    first = builder.build(app, BuildSpec())
    second = builder.build(app, BuildSpec())
    assert second.ref == first.ref
    assert sorted(p.name for p in first.app_dir.iterdir()) == ["Procfile"]
