"""The commands a deployment runs once, before any traffic moves: `[test] command` in the new
build (before a release exists) and `[release] command` with the new release's environment.
Their output streams as events; a failure or a timeout ends the deployment with nothing changed."""

from __future__ import annotations

from dataclasses import replace

from launchdeck.build import Artifact, Builder
from launchdeck.controlplane.deploys.journal import Journal
from launchdeck.controlplane.ports import LocalRuntime
from launchdeck.domain import (
    Deployment,
    DeploymentState,
    EventKind,
    Instance,
    InstanceState,
    Release,
    TestSpec,
)
from launchdeck.manifest.values.units import format_duration
from launchdeck.system import Command, Result, Runner
from launchdeck.system.errors import LaunchdeckError


class Phases:
    def __init__(
        self, journal: Journal, builder: Builder, driver: LocalRuntime, runner: Runner
    ) -> None:
        self.journal, self.builder, self.driver, self.runner = journal, builder, driver, runner

    def test(self, dep: Deployment, artifact: Artifact, spec: TestSpec) -> bool:
        """Run `[test] command` once in the new build, before a release exists: a failure
        records nothing but the deployment's events and reason."""
        self.journal.event(dep, EventKind.TEST, f"running tests: {spec.command}")
        command = Command(
            ("/bin/sh", "-c", spec.command),
            env=self.driver.test_env(artifact, app=dep.app, env=dep.env),
            cwd=artifact.app_dir,
            timeout=spec.timeout,
        )
        try:  # as the build account: tests see no environment's config, nor its processes
            command = self.driver.build_jail(dep.app).confine(command)
        except LaunchdeckError as exc:  # the jail could not be made
            self.journal.finish(dep, DeploymentState.FAILED, str(exc))
            return False
        result = self._stream(dep, command, EventKind.TEST_OUTPUT)
        if result.ok:
            self.journal.event(dep, EventKind.TESTED, "tests passed")
            return True
        self._fail(dep, result, "tests", spec.timeout, "tests failed (exit {code})")
        return False

    def release(self, dep: Deployment, release: Release) -> bool:
        """Run `[release] command` once, before any traffic moves; failure changes nothing."""
        spec = release.release_command
        dep = replace(dep, to_release=release.version)
        self.journal.store.save_deployment(dep)
        message = f"release {release.name} created ({release.description})"
        self.journal.event(dep, EventKind.RELEASED, message)
        if spec is None:
            return True
        running = f"running release command: {spec.command}"
        self.journal.event(dep, EventKind.RELEASE_PHASE, running)
        artifact = self.builder.get(release.build.digest)
        command = Command(
            ("/bin/sh", "-c", spec.command),
            env=self.driver.instance_env(_phase_instance(release), release),
            cwd=artifact.app_dir,
            timeout=spec.timeout,
        )
        try:  # as the environment's account, like its instances
            command = self.driver.env_jail(release.app, release.env).confine(command)
        except LaunchdeckError as exc:  # the jail could not be made
            self.journal.finish(dep, DeploymentState.FAILED, str(exc))
            return False
        result = self._stream(dep, command, EventKind.RELEASE_OUTPUT)
        if result.ok:
            return True
        self._fail(
            dep, result, "release command", spec.timeout, "release command exited with {code}"
        )
        return False

    def _stream(self, dep: Deployment, command: Command, kind: EventKind) -> Result:
        return self.runner.stream(command, lambda line: self.journal.event(dep, kind, line))

    def _fail(
        self, dep: Deployment, result: Result, what: str, timeout: float, exited: str
    ) -> None:
        reason = (
            f"{what} timed out after {format_duration(timeout)}"
            if result.timed_out
            else exited.format(code=result.returncode)
        )
        self.journal.finish(dep, DeploymentState.FAILED, reason)


def _phase_instance(release: Release) -> Instance:
    """The release command runs with the environment an instance of the release would get."""
    return Instance(
        id=f"release-v{release.version}",
        app=release.app,
        env=release.env,
        service="release",
        release=release.version,
        state=InstanceState.STARTING,
    )
