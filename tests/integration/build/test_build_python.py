"""Python builds with the real venv and pip (offline: the one dependency is a local wheel)."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.integration.build.apps import leftovers, make_wheel, python_app, write

from launchdeck.build import Artifact, Builder, BuildError
from launchdeck.domain import BuildSpec
from launchdeck.system import Command, Runner

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_wheel(tmp_path_factory.mktemp("wheels"))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


def run_in(artifact: Artifact, *argv: str) -> str:
    """Run a command the way an instance runs: in app_dir, with the artifact's env laid over."""
    command = Command(argv, cwd=artifact.app_dir, env={**os.environ, **artifact.env})
    return Runner().run(command).stdout.strip()


def test_python_app_runs_with_its_requirements(root: Path, tmp_path: Path, wheel: Path) -> None:
    lines: list[str] = []
    artifact = Builder(root).build(
        python_app(tmp_path / "app", wheel), BuildSpec(), log=lines.append
    )
    assert artifact.ref.kind == "python"
    assert artifact.reused_deps is False
    assert sorted(p.name for p in artifact.app_dir.iterdir()) == [
        "Procfile",
        "app.py",
        "requirements.txt",
    ]
    # The console script's shebang names the env's real dir: it must survive being published.
    assert run_in(artifact, "greet") == "hello from greet"
    assert run_in(artifact, "python", "app.py") == "v1"
    prefix = run_in(artifact, "python", "-c", "import sys; print(sys.prefix)")
    assert os.path.realpath(prefix) == os.path.realpath(artifact.env["VIRTUAL_ENV"])
    assert lines[0] == "-----> Python app detected"
    assert "-----> Installing requirements" in lines
    assert any(line.startswith("       Successfully installed greet-0.1") for line in lines)
    assert lines[-1] == f"-----> Build {artifact.ref.digest} ready"


def test_code_only_change_reuses_the_dependency_env(
    root: Path, tmp_path: Path, wheel: Path
) -> None:
    app = python_app(tmp_path / "app", wheel)
    builder = Builder(root)
    first = builder.build(app, BuildSpec())
    (app / "app.py").write_text("print('v2')\n")
    started = time.monotonic()
    second = builder.build(app, BuildSpec())
    elapsed = time.monotonic() - started
    assert elapsed < 0.5
    assert second.reused_deps is True
    assert second.deps_key == first.deps_key
    assert second.ref.digest != first.ref.digest
    assert run_in(second, "python", "app.py") == "v2"
    assert run_in(first, "python", "app.py") == "v1"  # the old build is untouched
    assert run_in(second, "greet") == "hello from greet"


def test_same_tree_same_digest(root: Path, tmp_path: Path, wheel: Path) -> None:
    app = python_app(tmp_path / "app", wheel)
    first = Builder(root).build(app, BuildSpec())
    (app / "__pycache__").mkdir()  # local noise does not count
    (app / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    lines: list[str] = []
    again = Builder(root).build(app, BuildSpec(), log=lines.append)  # e.g. after a restart
    assert again.ref == first.ref
    assert (
        lines[-1]
        == f"-----> Build {first.ref.digest} already exists for this source: nothing to do"
    )
    assert len(Builder(root).list()) == 1


def test_empty_requirements_still_yield_a_venv(root: Path, tmp_path: Path) -> None:
    artifact = Builder(root).build(python_app(tmp_path / "app", None), BuildSpec())
    assert (Path(artifact.env["VIRTUAL_ENV"]) / "bin" / "python").exists()
    assert run_in(artifact, "python", "app.py") == "v1"


def test_pyproject_dependencies_without_the_project(
    root: Path, tmp_path: Path, wheel: Path
) -> None:
    app = write(
        tmp_path / "app",
        {
            "Procfile": "web: greet\n",
            "pyproject.toml": (
                f'[project]\nname = "shop"\nversion = "1"\n'
                f'dependencies = ["greet @ {wheel.as_uri()}"]\n'
            ),
            "shop.py": "",
        },
    )
    builder = Builder(root, environ={**os.environ, "PIP_NO_INDEX": "1"})
    artifact = builder.build(app, BuildSpec())
    assert run_in(artifact, "greet") == "hello from greet"
    listing = "import importlib.metadata as m; print(*sorted(d.name for d in m.distributions()))"
    assert run_in(artifact, "python", "-c", listing) == "greet"  # not the project itself


def test_failing_requirement_leaves_nothing_behind(root: Path, tmp_path: Path) -> None:
    app = python_app(tmp_path / "app", None)
    (app / "requirements.txt").write_text("--no-index\nno-such-package-launchdeck==1.0\n")
    lines: list[str] = []
    with pytest.raises(BuildError) as info:
        Builder(root).build(app, BuildSpec(), log=lines.append)
    assert str(info.value) == "pip install failed (exit 1): fix requirements.txt and build again"
    assert (
        "No matching distribution found for no-such-package-launchdeck==1.0" in info.value.log_tail
    )
    assert any("No matching distribution" in line for line in lines)  # streamed as it happened
    assert leftovers(root) == []


def test_concurrent_builds_share_one_new_env(root: Path, tmp_path: Path, wheel: Path) -> None:
    apps = [python_app(tmp_path / f"app{n}", wheel) for n in range(3)]
    for n, app in enumerate(apps):
        (app / "app.py").write_text(f"print('v{n}')\n")
    builder = Builder(root)
    with ThreadPoolExecutor(len(apps)) as pool:
        artifacts = list(pool.map(lambda app: builder.build(app, BuildSpec()), apps))
    assert sorted(a.reused_deps for a in artifacts) == [False, True, True]
    assert len({a.deps_key for a in artifacts}) == 1
    assert len(list((root / "envs").iterdir())) == 1
    assert [run_in(a, "python", "app.py") for a in artifacts] == ["v0", "v1", "v2"]


def test_prune_keeps_the_newest_and_the_protected(root: Path, tmp_path: Path, wheel: Path) -> None:
    builder = Builder(root, keep=2)
    old_deps = builder.build(python_app(tmp_path / "old", None), BuildSpec())
    app = python_app(tmp_path / "app", wheel)
    digests = []
    for n in range(4):
        (app / "app.py").write_text(f"print('v{n}')\n")
        digests.append(builder.build(app, BuildSpec()).ref.digest)
    removed = builder.prune(protect=[digests[0]])
    assert removed == [digests[1], old_deps.ref.digest]
    assert [ref.digest for ref in builder.list()] == [digests[3], digests[2], digests[0]]
    assert not Path(old_deps.env["VIRTUAL_ENV"]).exists()
    assert len(list((root / "envs").iterdir())) == 1
    assert run_in(builder.get(digests[0]), "greet") == "hello from greet"
