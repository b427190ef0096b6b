"""Named fakes Deployments' unit tests share: workers that run a job at once, and the real
deployments with its rollout recorded instead of started."""

from __future__ import annotations

from collections.abc import Callable

from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.domain import Deployment, Release
from launchdeck.system import OPEN, Jail


class OpenJails:
    """A driver's jails for tests that run commands as themselves."""

    def build_jail(self, app: str) -> Jail:
        return OPEN

    def env_jail(self, app: str, env: str) -> Jail:
        return OPEN


class InlineWorkers:
    """Runs each queued job at once, on the caller's thread."""

    def __getitem__(self, _key: tuple[str, str]) -> InlineWorkers:
        return self

    def submit(self, job: Callable[[], None]) -> None:
        job()


class RecordingDeployments(Deployments):
    """The real deployments, except that a rollout is remembered instead of started."""

    rollouts: list[tuple[Deployment, Release]]

    def _rollout(
        self, dep: Deployment, release: Release, replace_services: frozenset[str] = frozenset()
    ) -> None:
        self.rollouts.append((dep, release))
