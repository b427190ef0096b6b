"""The deploy's test phase: `[test] command` runs once in the new build, after the build and
before a release exists; its output streams as events, and a failure or a timeout records no
release and changes nothing. Real /bin/sh commands; the build and the rollout are fakes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from launchdeck.build import Artifact
from launchdeck.controlplane.store import Store
from launchdeck.domain import (
    BuildRef,
    BuildSpec,
    Deployment,
    DeploymentState,
    Manifest,
)
from launchdeck.manifest import parse_manifest
from launchdeck.system import Command, Jail, LaunchdeckError
from tests.unit.controlplane.deployment_fakes import InlineWorkers, OpenJails, RecordingDeployments

DIGEST = "sha256:" + "ef" * 32
SHA = "0123456789abcdef0123456789abcdef01234567"
SERVICES = '[services.web]\ncommand = "serve"\nport = "$PORT"\n'


class OneBuildBuilder:
    """Every build of any source is the same finished build, made from `made_from` (the commit
    of whoever built it first)."""

    def __init__(self, root: Path, made_from: str | None = None) -> None:
        app_dir = root / "build" / "app"
        app_dir.mkdir(parents=True)
        ref = BuildRef(digest=DIGEST, kind="generic", created_at=1.0, git_sha=made_from)
        self.artifact = Artifact(ref=ref, app_dir=app_dir, env={}, deps_key=None, reused_deps=False)

    def build(
        self,
        source: Path,
        spec: BuildSpec,
        *,
        log: Callable[[str], None],
        git_sha: str | None,
        jail: Jail,
    ) -> Artifact:
        log(f"-----> Build {DIGEST} ready")
        return self.artifact

    def get(self, digest: str) -> Artifact:
        return self.artifact


class BuildEnvDriver(OpenJails):
    """The driver's test environment: the host's PATH, CI and the commit, and who asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def test_env(self, artifact: Artifact, *, app: str, env: str) -> dict[str, str]:
        self.asked.append((app, env))
        sha = {"GIT_SHA": artifact.ref.git_sha} if artifact.ref.git_sha else {}
        return {"PATH": os.environ["PATH"], "CI": "true", **sha}


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "launchdeck.db")
    s.create_app("shop", ["staging", "production"], now=1.0)
    yield s
    s.close()


def make_engine(store: Store, builder: OneBuildBuilder) -> RecordingDeployments:
    deployments = RecordingDeployments(
        store,
        builder,  # type: ignore[arg-type]
        BuildEnvDriver(),  # type: ignore[arg-type]
        workers=InlineWorkers(),  # type: ignore[arg-type]
    )
    deployments.rollouts = []
    return deployments


def deploy(
    store: Store, tmp_path: Path, manifest: Manifest, git_sha: str | None = SHA, made_from=None
) -> tuple[RecordingDeployments, Deployment, OneBuildBuilder]:
    builder = OneBuildBuilder(tmp_path, made_from)
    deployments = make_engine(store, builder)
    source = tmp_path / "upload"
    source.mkdir()
    dep = deployments.deploy(store.env("shop", "staging"), source, manifest, git_sha)  # type: ignore[arg-type]
    done = store.deployment(dep.id)
    assert done is not None
    return deployments, done, builder


def with_tests(command: str, timeout: str = "1m") -> Manifest:
    return parse_manifest(f"[test]\ncommand = '''{command}'''\ntimeout = \"{timeout}\"\n{SERVICES}")


def events(store: Store, dep: Deployment) -> list[tuple[str, str]]:
    return [(e.kind, e.message) for e in store.events(dep.id)]


def test_passing_tests_stream_their_output_then_the_release_is_made_and_rolled_out(
    store: Store, tmp_path: Path
) -> None:
    command = 'echo "in $(pwd) sha=$GIT_SHA ci=$CI"; echo second >&2'

    deployments, dep, builder = deploy(store, tmp_path, with_tests(command))

    app_dir = builder.artifact.app_dir
    assert events(store, dep)[2:7] == [
        ("test", f"running tests: {command}"),
        ("test_output", f"in {app_dir} sha={SHA} ci=true"),
        ("test_output", "second"),
        ("tested", "tests passed"),
        ("released", f"release v1 created (Deploy {DIGEST[:19]})"),
    ]
    [(_, release)] = deployments.rollouts
    assert (release.version, release.build.git_sha) == (1, SHA)
    assert deployments.driver.asked == [("shop", "staging")]  # type: ignore[attr-defined]


def test_failing_tests_fail_the_deployment_and_record_no_release(
    store: Store, tmp_path: Path
) -> None:
    manifest = with_tests("echo 'FAILED test_checkout'; exit 3")

    deployments, dep, _ = deploy(store, tmp_path, manifest)

    assert (dep.state, dep.reason, dep.to_release) == (
        DeploymentState.FAILED,
        "tests failed (exit 3)",
        None,
    )
    assert events(store, dep)[-2:] == [
        ("test_output", "FAILED test_checkout"),
        ("failed", "deployment failed: tests failed (exit 3)"),
    ]
    assert store.releases("shop", "staging") == [] and deployments.rollouts == []
    assert store.env("shop", "staging").release is None  # type: ignore[union-attr]


def test_tests_that_outlive_their_timeout_are_killed_and_fail_the_deployment(
    store: Store, tmp_path: Path
) -> None:
    started = time.monotonic()

    deployments, dep, _ = deploy(store, tmp_path, with_tests("echo started; sleep 30", "300ms"))

    assert time.monotonic() - started < 10
    assert (dep.state, dep.reason) == (DeploymentState.FAILED, "tests timed out after 300ms")
    assert ("test_output", "started") in events(store, dep)
    assert store.releases("shop", "staging") == [] and deployments.rollouts == []


def test_without_a_test_table_the_deploy_goes_straight_to_the_release(
    store: Store, tmp_path: Path
) -> None:
    deployments, dep, _ = deploy(store, tmp_path, parse_manifest(SERVICES))

    kinds = [kind for kind, _ in events(store, dep)]
    assert "test" not in kinds and "test_output" not in kinds and "released" in kinds
    assert len(deployments.rollouts) == 1


@pytest.mark.parametrize(
    ("pushed", "recorded"),
    [(SHA, SHA), (None, "feedfacefeedfacefeedfacefeedfacefeedface")],
    ids=["pushed-commit-wins", "no-commit-keeps-the-builds"],
)
def test_a_reused_build_is_released_with_the_commit_that_was_deployed(
    store: Store, tmp_path: Path, pushed: str | None, recorded: str
) -> None:
    made_from = "feedfacefeedfacefeedfacefeedfacefeedface"

    deployments, _, _ = deploy(store, tmp_path, parse_manifest(SERVICES), pushed, made_from)

    [(_, release)] = deployments.rollouts
    assert release.build.git_sha == recorded


class RefusingJail:
    """A build account that cannot confine anything (e.g. it could not be made)."""

    owner = "shop"

    def confine(self, command: Command, *, writable: Sequence[Path] = ()) -> Command:
        raise LaunchdeckError("no build account for shop", "run make setup")

    def lend(self, path: Path) -> None:
        pass


class RefusingJails(BuildEnvDriver):
    def build_jail(self, app: str) -> Jail:
        return RefusingJail()


def test_a_jail_that_cannot_confine_the_tests_fails_the_deployment_with_its_fix(
    store: Store, tmp_path: Path
) -> None:
    """The deployments knows driver errors by the one root, not by the driver's classes."""
    deployments = make_engine(store, OneBuildBuilder(tmp_path))
    deployments.phases.driver = RefusingJails()  # type: ignore[assignment]
    source = tmp_path / "upload"
    source.mkdir()

    dep = deployments.deploy(store.env("shop", "staging"), source, with_tests("true"), SHA)  # type: ignore[arg-type]

    done = store.deployment(dep.id)
    assert done is not None
    assert (done.state, done.reason) == (
        DeploymentState.FAILED,
        "no build account for shop; fix: run make setup",
    )
    assert store.releases("shop", "staging") == [] and deployments.rollouts == []
