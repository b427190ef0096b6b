"""The release phase: `[release] command` runs once per release with the release's own
environment, before any rollout; a failure or a timeout stops the deployment with nothing
rolled out. Real /bin/sh commands; the build and the rollout are fakes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from launchdeck.build import Artifact
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import DeploymentState, Instance, Release
from launchdeck.manifest import parse_manifest
from tests.unit.controlplane.deployment_fakes import InlineWorkers, RecordingDeployments
from tests.unit.controlplane.store_fixtures import put_env
from tests.unit.controlplane.test_test_phase import (
    SERVICES,
    BuildEnvDriver,
    OneBuildBuilder,
    events,
)
from tests.unit.controlplane.test_test_phase import store as store


class ReleaseEnvDriver(BuildEnvDriver):
    def instance_env(self, inst: Instance, release: Release) -> dict[str, str]:
        return {"PATH": os.environ["PATH"], "LAUNCHDECK_RELEASE": release.name, **release.environ()}

    def test_env(self, artifact: Artifact, *, app: str, env: str) -> dict[str, str]:
        return super().test_env(artifact, app=app, env=env)


def run(store: Store, tmp_path: Path, command: str, timeout: str = "1m") -> RecordingDeployments:
    manifest = parse_manifest(
        f"[release]\ncommand = '''{command}'''\ntimeout = \"{timeout}\"\n{SERVICES}"
    )
    deployments = RecordingDeployments(
        store,
        OneBuildBuilder(tmp_path),  # type: ignore[arg-type]
        ReleaseEnvDriver(),  # type: ignore[arg-type]
        workers=InlineWorkers(),  # type: ignore[arg-type]
    )
    deployments.rollouts = []
    source = tmp_path / "upload"
    source.mkdir()
    deployments.deploy(store.env("shop", "staging"), source, manifest, None)  # type: ignore[arg-type]
    return deployments


def last(store: Store):
    [dep] = store.deployments("shop", "staging")
    return dep


def test_the_release_command_sees_the_new_release_and_runs_before_the_rollout(
    store: Store, tmp_path: Path
) -> None:
    put_env(store, EnvState("shop", "staging", config={"DB": "postgres://x"}))

    deployments = run(store, tmp_path, 'echo "migrating $LAUNCHDECK_RELEASE on $DB"')

    dep = last(store)
    assert ("release_output", "migrating v1 on postgres://x") in events(store, dep)
    assert len(deployments.rollouts) == 1


def test_a_failing_release_command_rolls_nothing_out(store: Store, tmp_path: Path) -> None:
    deployments = run(store, tmp_path, "echo 'relation \"orders\" already exists' >&2; exit 2")

    dep = last(store)
    assert (dep.state, dep.reason) == (DeploymentState.FAILED, "release command exited with 2")
    assert ("release_output", 'relation "orders" already exists') in events(store, dep)
    assert deployments.rollouts == [] and store.env("shop", "staging").release is None  # type: ignore[union-attr]


def test_a_release_command_past_its_timeout_is_killed_and_fails(
    store: Store, tmp_path: Path
) -> None:
    started = time.monotonic()

    deployments = run(store, tmp_path, "echo migrating; sleep 30", "300ms")

    dep = last(store)
    assert time.monotonic() - started < 10
    assert (dep.state, dep.reason) == (
        DeploymentState.FAILED,
        "release command timed out after 300ms",
    )
    assert deployments.rollouts == []
