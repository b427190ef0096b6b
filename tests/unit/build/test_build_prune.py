from __future__ import annotations

import os
from pathlib import Path

import pytest

from launchdeck.build import Builder
from launchdeck.build.store import BuildStore
from launchdeck.domain import BuildSpec
from tests.unit.build.fakes import MakeApp, RecordingRunner, SteppingClock

ENVIRON = {"PATH": "/usr/bin:/bin"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


def builder(root: Path, runner: RecordingRunner, clock: SteppingClock, keep: int) -> Builder:
    return Builder(root, runner=runner, python="python3", clock=clock, keep=keep, environ=ENVIRON)


def versions(builder: Builder, app: Path, count: int) -> list[str]:
    """Build `count` code versions of `app`, oldest first."""
    digests = []
    for n in range(count):
        (app / "version.txt").write_text(str(n))
        digests.append(builder.build(app, BuildSpec()).ref.digest)
    return digests


def test_keeps_the_newest_and_the_protected(
    root: Path, runner: RecordingRunner, clock: SteppingClock, make_app: MakeApp
) -> None:
    b = builder(root, runner, clock, keep=2)
    d0, d1, d2, d3, d4 = versions(b, make_app({"Procfile": "web: x"}), 5)
    removed = b.prune(protect=[d1.removeprefix("sha256:")])  # bare hex is accepted too
    assert removed == [d2, d0]
    assert [ref.digest for ref in b.list()] == [d4, d3, d1]
    assert not (root / "builds" / d0.removeprefix("sha256:")).exists()
    assert b.prune(protect=[d1]) == []


def test_keep_zero_removes_everything_unprotected(
    root: Path, runner: RecordingRunner, clock: SteppingClock, make_app: MakeApp
) -> None:
    b = builder(root, runner, clock, keep=0)
    digests = versions(b, make_app({"Procfile": "web: x"}), 2)
    assert sorted(b.prune()) == sorted(digests)
    assert b.list() == []


def test_removes_dependency_envs_no_kept_build_uses(
    root: Path, runner: RecordingRunner, clock: SteppingClock, make_app: MakeApp
) -> None:
    b = builder(root, runner, clock, keep=1)
    app = make_app({"requirements.txt": "flask==3.0\n"})
    old = b.build(app, BuildSpec())
    (app / "requirements.txt").write_text("flask==3.1\n")
    new = b.build(app, BuildSpec())
    assert old.deps_key and new.deps_key and old.deps_key != new.deps_key
    b.prune()
    assert sorted(p.name for p in (root / "deps").iterdir()) == [new.deps_key]
    assert [p.name.rsplit("-", 1)[0] for p in (root / "envs").iterdir()] == [new.deps_key]
    assert not (root / "locks" / f"deps-{old.deps_key}.lock").exists()
    assert Path(new.env["VIRTUAL_ENV"]).is_dir()


def test_sweeps_what_crashed_builds_left(
    root: Path, runner: RecordingRunner, clock: SteppingClock, make_app: MakeApp
) -> None:
    b = builder(root, runner, clock, keep=5)
    kept = b.build(make_app({"requirements.txt": ""}), BuildSpec())
    assert kept.deps_key
    crashed_stage = root / "tmp" / "build-crashed"
    (crashed_stage / "build" / "app").mkdir(parents=True)
    (crashed_stage / "deps_key").write_text("f" * 64)
    half_env = root / "envs" / f"{kept.deps_key}-halfdone"  # same key, never published
    half_env.mkdir()
    b.prune()
    assert not crashed_stage.exists()
    assert not half_env.exists()
    assert os.path.realpath(kept.env["VIRTUAL_ENV"]) != str(half_env)
    assert Path(kept.env["VIRTUAL_ENV"]).is_dir()


def test_a_live_build_keeps_its_stage_and_its_env(
    root: Path, runner: RecordingRunner, clock: SteppingClock
) -> None:
    b = builder(root, runner, clock, keep=0)
    store = BuildStore(root.resolve())
    with store.stage() as stage:
        store.pin(stage, "e" * 64)
        installing = root / "envs" / f"{'e' * 64}-inprogress"
        installing.mkdir(parents=True)
        b.prune()
        assert stage.path.is_dir()
        assert installing.is_dir()
    assert not stage.path.exists()
