"""`db pull --from production --to staging`: the source environment's data copied over the
target's, scrubbed before the target's instances ever see it.

The copy is loaded into a fresh database beside the target's (postgres_copy); the manifest's
`[addons.postgres] scrub` command runs once against it, in the target's current build with the
environment an instance of the target's current release gets (DATABASE_URL pointing at the
copy), like the release command; then the copy takes the target database's place and the target
restarts. A failing scrub drops the copy and leaves the target as it was. Nothing is ever
pulled into a protected environment (production).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from launchdeck.build import Builder
from launchdeck.controlplane.access.auth import PROTECTED_ENVS
from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.errors import Conflict, Invalid
from launchdeck.controlplane.ports import DatabaseCopyJob, DatabasePulls, LocalRuntime
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import Deployment, Instance, InstanceState, Release
from launchdeck.manifest.values.units import format_duration
from launchdeck.system import Command, Runner

SCRUB_TIMEOUT = 1800.0


class Pulls:
    def __init__(
        self,
        store: Store,
        deployments: Deployments,
        addons: DatabasePulls,
        builder: Builder,
        driver: LocalRuntime,
        *,
        workdir: Path,
        runner: Runner | None = None,
    ) -> None:
        self.store, self.deployments, self.addons = store, deployments, addons
        self.builder, self.driver = builder, driver
        self.workdir = workdir
        self.runner = runner or Runner()
        self._lock = threading.Lock()

    def pull(self, source: EnvState, target: EnvState) -> tuple[dict[str, Any], Deployment | None]:
        """Copy, scrub, swap, restart; returns what happened and the restart."""
        self._check(source, target)
        release = self._current(target)
        settings = self.addons.postgres_settings(target.app, target.name)
        scrub = settings.scrub if settings else None
        if scrub and release is None:
            raise Conflict(
                f"{target.app}/{target.name} has no release to run the scrub command in",
                f"deploy it first: launchdeck deploy --app {target.app} --env {target.name}",
            )
        if not self._lock.acquire(blocking=False):
            raise Conflict("a db pull is already running", "wait for it to finish")
        try:
            copy = self.addons.copy_database((source.app, source.name), (target.app, target.name),
                                             workdir=self.workdir)  # fmt: skip
            copy.load()
            output = self._scrub(copy, scrub, release) if scrub and release else []
            copy.swap()
        finally:
            self._lock.release()
        dep = self.deployments.restart(target, None) if release is not None else None
        database = self.addons.database(target.app, target.name)
        counts = database.cluster.row_counts().get(database.creds.database, {})
        info = {"from": source.name, "to": target.name, "scrub": scrub, "output": output,
                "tables": counts}  # fmt: skip
        return info, dep

    def _check(self, source: EnvState, target: EnvState) -> None:
        if target.name in PROTECTED_ENVS:
            raise Invalid(
                f"refusing to pull into {target.name!r}: it would overwrite its data",
                f"pull into another environment (--to staging); to bring back {target.name}'s "
                "own data, use: launchdeck db restore",
            )
        if source.name == target.name:
            raise Invalid(
                f"--from and --to are both {source.name!r}",
                "e.g. launchdeck db pull --from production --to staging",
            )

    def _current(self, env: EnvState) -> Release | None:
        return self.store.release(env.app, env.name, env.release) if env.release else None

    def _scrub(self, copy: DatabaseCopyJob, scrub: str, release: Release) -> list[str]:
        inst = Instance(id=f"scrub-v{release.version}", app=release.app, env=release.env,
                        service="scrub", release=release.version,
                        state=InstanceState.STARTING)  # fmt: skip
        environ = self.driver.instance_env(inst, release)
        environ["DATABASE_URL"] = copy.url
        command = Command(("/bin/sh", "-c", scrub), env=environ,
                          cwd=self.builder.get(release.build.digest).app_dir,
                          timeout=SCRUB_TIMEOUT)  # fmt: skip
        # the target's code, as the target's account (it may be given only the copy's URL)
        command = self.driver.env_jail(release.app, release.env).confine(command)
        lines: list[str] = []
        result = self.runner.stream(command, lines.append)
        if result.ok:
            return lines
        copy.discard()
        why = (
            f"timed out after {format_duration(SCRUB_TIMEOUT)}"
            if result.timed_out
            else f"exited with {result.returncode}"
        )
        tail = "\n".join(lines[-15:])
        raise Invalid(
            f"scrub command `{scrub}` {why}; {release.env} is unchanged"
            + (f"\nlast output:\n{tail}" if tail else ""),
            "fix the scrub command ([addons.postgres] scrub), deploy, then pull again",
        )
