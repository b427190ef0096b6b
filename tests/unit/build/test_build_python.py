from __future__ import annotations

from pathlib import Path

import pytest

from launchdeck.build import BuildError
from launchdeck.build.python import PythonPack
from tests.unit.build.fakes import MakeApp, RecordingRunner

ENVIRON = {"PATH": "/usr/bin:/bin", "HOME": "/home/app"}


def pack(runner: RecordingRunner) -> PythonPack:
    return PythonPack(runner=runner, python="/opt/python/bin/python3", environ=ENVIRON)


def test_key_follows_requirements_not_code(runner: RecordingRunner, make_app: MakeApp) -> None:
    one = make_app({"requirements.txt": "flask==3.0\n", "app.py": "one"}, name="one")
    two = make_app({"requirements.txt": "flask==3.0\n", "app.py": "two"}, name="two")
    three = make_app({"requirements.txt": "flask==3.1\n", "app.py": "one"}, name="three")
    python = pack(runner)
    assert python.deps_key(one) == python.deps_key(two) != python.deps_key(three)


def test_key_follows_included_requirement_files(runner: RecordingRunner, make_app: MakeApp) -> None:
    app = make_app(
        {
            "requirements.txt": "-r requirements/base.txt\n--constraint=constraints.txt\n",
            "requirements/base.txt": "flask\n",
            "constraints.txt": "flask==3.0\n",
        }
    )
    python = pack(runner)
    before = python.deps_key(app)
    (app / "requirements" / "base.txt").write_text("flask\ngunicorn\n")
    after_base = python.deps_key(app)
    (app / "constraints.txt").write_text("flask==3.1\n")
    assert len({before, after_base, python.deps_key(app)}) == 3


def test_key_follows_the_interpreter(make_app: MakeApp) -> None:
    app = make_app({"requirements.txt": ""})
    other = RecordingRunner({"cache_tag": (0, "cpython-312 x86_64 /opt/python\n")})
    assert pack(RecordingRunner()).deps_key(app) != pack(other).deps_key(app)


def test_interpreter_is_probed_once(runner: RecordingRunner, make_app: MakeApp) -> None:
    app = make_app({"requirements.txt": ""})
    python = pack(runner)
    python.deps_key(app)
    python.deps_key(app)
    assert len(runner.commands) == 1


def test_pyproject_key_is_the_sorted_dependency_list(
    runner: RecordingRunner, make_app: MakeApp
) -> None:
    one = make_app({"pyproject.toml": '[project]\ndependencies = ["b", "a"]\n'}, name="one")
    two = make_app(
        {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["a", "b"]\n'}, name="two"
    )
    assert pack(runner).deps_key(one) == pack(runner).deps_key(two)


def test_bad_pyproject(runner: RecordingRunner, make_app: MakeApp) -> None:
    app = make_app({"pyproject.toml": "[project]\ndependencies = 'flask'\n"})
    with pytest.raises(BuildError) as info:
        pack(runner).deps_key(app)
    assert str(info.value) == (
        f"{app / 'pyproject.toml'}: [project].dependencies should be a list of strings"
    )


def test_installs_requirements_with_the_builders_pip(
    runner: RecordingRunner, make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({"requirements.txt": "flask\n"})
    env = tmp_path / "env"
    lines: list[str] = []
    pack(runner).install(app, env, lines.append)
    assert runner.argvs() == [
        ("/opt/python/bin/python3", "-m", "venv", "--without-pip", str(env)),
        (
            "/opt/python/bin/python3", "-m", "pip", "--python", str(env / "bin" / "python"),
            "install", "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
            "-r", "requirements.txt",
        ),
    ]  # fmt: skip
    assert runner.commands[1].cwd == app
    assert lines == ["-----> Installing requirements"]


def test_installs_pyproject_dependencies_not_the_project(
    runner: RecordingRunner, make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({"pyproject.toml": '[project]\nname = "shop"\ndependencies = ["b", "a"]\n'})
    pack(runner).install(app, tmp_path / "env", lambda line: None)
    assert runner.argvs()[-1][-3:] == ("--", "a", "b")


@pytest.mark.parametrize("text", ["", "# nothing yet\n\n"])
def test_empty_requirements_make_a_bare_venv(
    runner: RecordingRunner, make_app: MakeApp, tmp_path: Path, text: str
) -> None:
    app = make_app({"requirements.txt": text})
    pack(runner).install(app, tmp_path / "env", lambda line: None)
    assert [argv[1:3] for argv in runner.argvs()] == [("-m", "venv")]


def test_pip_failure_carries_the_output_tail(make_app: MakeApp, tmp_path: Path) -> None:
    output = "".join(f"line {n}\n" for n in range(30)) + "ERROR: No matching distribution\n"
    runner = RecordingRunner({" -m pip ": (1, output)})
    app = make_app({"requirements.txt": "nope\n"})
    lines: list[str] = []
    with pytest.raises(BuildError) as info:
        pack(runner).install(app, tmp_path / "env", lines.append)
    assert str(info.value) == "pip install failed (exit 1): fix requirements.txt and build again"
    assert info.value.log_tail.splitlines()[-1] == "ERROR: No matching distribution"
    assert len(info.value.log_tail.splitlines()) == 20
    assert lines[-1] == "       ERROR: No matching distribution"  # streamed, indented


def test_env_puts_the_venv_first(runner: RecordingRunner, tmp_path: Path) -> None:
    env = pack(runner).env(tmp_path / "app", tmp_path / "deps")
    assert env == {
        "VIRTUAL_ENV": str(tmp_path / "deps"),
        "PATH": f"{tmp_path / 'deps' / 'bin'}:/usr/bin:/bin",
        "PYTHONUNBUFFERED": "1",
    }
