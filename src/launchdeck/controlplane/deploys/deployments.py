"""Use cases that change an environment: deploy, rollback, promote, config, restart, scale.

Each creates a Deployment, queues a job on the environment's worker and returns at once; the job
records events the CLI streams. Every path to new instances goes through `_rollout`.

The environment's state changes only through `store.update_env` (read, change, write in one
transaction): a `config set` landing while a rollout finishes neither loses its change nor moves
the release pointer back. A job reads the release it builds on when it runs, not when it was
queued: a deploy queued before it may have moved the environment on."""

from __future__ import annotations

import contextlib
import logging
import secrets
import shutil
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from launchdeck.build import Artifact, Builder, BuildError
from launchdeck.controlplane.access.redaction import Redactors
from launchdeck.controlplane.deploys.attach import Attacher, changes
from launchdeck.controlplane.deploys.canary import CanaryRun, Controls, ReleaseTraffic
from launchdeck.controlplane.deploys.journal import Journal
from launchdeck.controlplane.deploys.ledger import StoreLedger
from launchdeck.controlplane.deploys.phases import Phases
from launchdeck.controlplane.deploys.promotion import Promotion, plan_promotion, scale_of
from launchdeck.controlplane.deploys.workers import Workers
from launchdeck.controlplane.errors import Conflict, Invalid, NotFound, Unavailable, addon_errors
from launchdeck.controlplane.notify import Notifier
from launchdeck.controlplane.ports import AddonServers, LocalRuntime
from launchdeck.controlplane.settings import DEFAULT_MAX_SCALE
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import (
    Addons,
    Deployment,
    DeploymentKind,
    DeploymentState,
    EventKind,
    Instance,
    Manifest,
    Release,
    ServiceSpec,
)
from launchdeck.domain.autoscale import Decision
from launchdeck.execution import Executor, RolloutFailed
from launchdeck.planning import Desired, Plan, plan_rollout
from launchdeck.system import SYSTEM_CLOCK, Clock, Runner
from launchdeck.system.errors import LaunchdeckError

log = logging.getLogger("launchdeck.deployments")


ADDON_VARS = ("DATABASE_URL", "REDIS_URL")  # set by add-ons, not by releases
CRASH_RETRY_FIRST, CRASH_RETRY_MAX = 0.5, 30.0  # seconds between tries to record a crash


def new_instance_id(service: str, release: int) -> str:
    """`web.v3-1a2b3c`: service, release and a random suffix (logs are tagged from it)."""
    return f"{service}.v{release}-{secrets.token_hex(3)}"


class Deployments:
    def __init__(
        self,
        store: Store,
        builder: Builder,
        driver: LocalRuntime,
        *,
        workers: Workers | None = None,
        runner: Runner | None = None,
        clock: Clock = SYSTEM_CLOCK,
        redactors: Redactors | None = None,
        notifier: Notifier | None = None,
        addons: AddonServers | None = None,
        traffic: ReleaseTraffic | None = None,
    ) -> None:
        """`traffic`: each release's requests, for canaries (without it, every rollout rolls)."""
        self.store, self.builder, self.driver = store, builder, driver
        self.redactors = redactors or Redactors(store)
        self.addons = addons
        self.workers = workers or Workers()
        self.runner = runner or Runner()
        self.clock = clock
        self.journal = Journal(store, redactors=self.redactors, notifier=notifier, clock=clock)
        self.phases = Phases(self.journal, builder, driver, self.runner)
        self.attacher = Attacher(self.journal, addons)
        self.traffic = traffic
        self.canaries = Controls()

    # -- queueing --------------------------------------------------------------------------

    def _submit(self, dep: Deployment, job: Callable[[], None]) -> Deployment:
        def run() -> None:
            try:
                job()
            except Exception as exc:  # a bug or a failing database must not leave it running
                log.exception("deployment %s crashed", dep.id)
                self._end_crashed(dep.id, exc)

        self.workers[(dep.app, dep.env)].submit(run)
        return dep

    def _end_crashed(self, dep_id: int, exc: Exception) -> None:
        """Record a crashed deployment as failed. The crash may have been the database itself
        (locked or failing): then wait for it, backing off, rather than leave the deployment
        unfinished; the environment's worker holds its next jobs meanwhile."""
        if isinstance(exc, Unavailable):
            reason = f"{exc.message}; the deployment stopped where it was: {exc.fix}"
        else:
            reason = f"internal error: {exc}"
        delay = CRASH_RETRY_FIRST
        while True:
            try:
                current = self.store.deployment(dep_id)
                if current is not None and not current.state.finished:
                    self.journal.finish(current, DeploymentState.FAILED, reason)
                return
            except Unavailable as down:
                log.warning("deployment %s: failure not recorded yet (%s)", dep_id, down)
                self.clock.sleep(delay)
                delay = min(delay * 2, CRASH_RETRY_MAX)

    # -- use cases ---------------------------------------------------------------------------

    def deploy(
        self,
        env: EnvState,
        source: Path,
        manifest: Manifest,
        git_sha: str | None,
        *,
        canary: bool = False,
    ) -> Deployment:
        """`canary`: as a canary whatever the manifest's `[deploy]` says (`deploy --canary`)."""
        dep = self.journal.begin(env, DeploymentKind.DEPLOY, notify=manifest.notify, canary=canary)
        return self._submit(dep, lambda: self._deploy(dep, source, manifest, git_sha))

    def _deploy(
        self, dep: Deployment, source: Path, manifest: Manifest, git_sha: str | None
    ) -> None:
        dep = replace(dep, state=DeploymentState.BUILDING)
        self.store.save_deployment(dep)
        try:
            artifact = self.builder.build(
                source,
                manifest.build,
                log=lambda line: self.journal.event(dep, EventKind.BUILD_OUTPUT, line),
                git_sha=git_sha,
                jail=self.driver.build_jail(dep.app),
            )
        except LaunchdeckError as exc:  # BuildError, or the build account's jail
            self.journal.finish(dep, DeploymentState.FAILED, f"build failed: {exc}")
            return
        finally:
            shutil.rmtree(source, ignore_errors=True)
        if git_sha:  # an existing build of the same tree may have been made from another commit
            artifact = replace(artifact, ref=replace(artifact.ref, git_sha=git_sha))
        if manifest.test is not None and not self.phases.test(dep, artifact, manifest.test):
            return
        if not self.attacher.attach(dep, manifest.for_env(dep.env).addons):
            return
        env = self._env(dep.app, dep.env)
        release = self._new_release(env, artifact, manifest, f"Deploy {artifact.ref.digest[:19]}")
        if not self.phases.release(dep, release):
            return
        self._rollout(dep, release)

    def _new_release(
        self, env: EnvState, artifact: Artifact, manifest: Manifest, description: str
    ) -> Release:
        resolved = manifest.for_env(env.name)
        defaults, domains = manifest.defaults_for(env.name)
        release = Release(
            app=env.app,
            env=env.name,
            version=self.store.next_release_version(env.app, env.name),
            build=artifact.ref,
            config=dict(env.config),
            secrets=env.secrets,
            services=dict(resolved.services),
            created_at=self.clock.now(),
            description=description,
            release_command=manifest.release,
            notify=manifest.notify,
            defaults=defaults,
            domains=domains,
            alerts=resolved.alerts,
            alerts_off=resolved.alerts_off,
            deploy=resolved.deploy,
            triage=resolved.triage,
            cron=dict(resolved.cron),
        )
        self.store.add_release(release)
        return release

    # -- add-ons ------------------------------------------------------------------------------

    def attach_addons(self, env: EnvState, addons: Addons) -> Deployment | None:
        """`addons create`: attach now; a running environment gets a new release with the URL
        and a rolling restart."""
        if self.addons is None:
            raise Invalid("add-ons are not available on this control plane", "")
        with addon_errors():
            attached = self.addons.attach(env.app, env.name, addons)
        urls = {a.var: a.url for a in attached}
        # before the first deploy set_config only stores them (secret), for the first release
        return self.set_config(env, urls, [], secret=True) if changes(env, urls) else None

    def rollback(self, env: EnvState, version: int | None) -> Deployment:
        target = self._rollback_target(env, version)
        dep = self.journal.begin(env, DeploymentKind.ROLLBACK, notify=target.notify)

        def job() -> None:
            current = self._env(env.app, env.name)
            # code and config go back; the add-ons' URLs do not: data lives where it is now
            # (after a `db restore`, the old release's DATABASE_URL names the database it left)
            attached = {k: current.config[k] for k in ADDON_VARS if k in current.config}
            release = replace(
                target,
                version=self.store.next_release_version(env.app, env.name),
                created_at=self.clock.now(),
                description=f"Rollback to {target.name}",
                config={**target.config, **attached},
                secrets=target.secrets | set(attached),
            )
            self.store.add_release(release)
            if self.phases.release(dep, release):
                self._rollout(replace(dep, from_release=current.release), release)

        return self._submit(dep, job)

    def _rollback_target(self, env: EnvState, version: int | None) -> Release:
        if env.release is None:
            raise Conflict(f"{env.app}/{env.name} has no release to roll back", "deploy first")
        if version is None:
            history = self._history(env)
            if len(history) < 2:
                raise Conflict(
                    f"{env.app}/{env.name} has no previous release to roll back to",
                    "name one: launchdeck rollback vN",
                )
            version = history[-2]
        target = self.store.release(env.app, env.name, version)
        if target is None:
            raise NotFound(
                f"{env.app}/{env.name} has no release v{version}", "see: launchdeck releases"
            )
        return target

    def _history(self, env: EnvState) -> list[int]:
        """Releases that became current, oldest first (a failed deploy never became current)."""
        done = [
            d
            for d in reversed(self.store.deployments(env.app, env.name, 200))
            if d.state == DeploymentState.SUCCEEDED and d.to_release is not None
        ]
        history: list[int] = []
        for d in done:
            if not history or history[-1] != d.to_release:
                history.append(d.to_release)  # type: ignore[arg-type]
        return history

    def promote(self, source: EnvState, target: EnvState) -> Deployment:
        """Roll out to `target` the build `source` runs, with the target's config and scale."""
        promotion = self.promotion(source, target)
        dep = self.journal.begin(target, DeploymentKind.PROMOTE, notify=promotion.manifest.notify)

        def job() -> None:
            if not self.attacher.attach(dep, promotion.manifest.addons):
                return
            latest = self._env(target.app, target.name)
            version = self.store.next_release_version(target.app, target.name)
            release = promotion.new_release(
                version, latest.config, latest.secrets, self.clock.now()
            )
            self.store.add_release(release)
            if self.phases.release(dep, release):
                self._rollout(replace(dep, from_release=latest.release), release)

        return self._submit(dep, job)

    def promotion(self, source: EnvState, target: EnvState) -> Promotion:
        """What `promote` would do, after every check it makes (the preview shows this)."""
        return plan_promotion(self.store, self.builder.get, source, target)

    def set_config(
        self, env: EnvState, values: dict[str, str], unset: list[str], *, secret: bool = False
    ) -> Deployment | None:
        """Set and unset config vars. A secret stays secret when set again without `secret`
        (never downgraded by accident); unset it first to make it plain."""

        def change(state: EnvState) -> EnvState:
            config = {k: v for k, v in state.config.items() if k not in unset}
            config.update(values)
            secrets_ = (state.secrets - set(unset)) | (set(values) if secret else set())
            return replace(state, config=config, secrets=frozenset(secrets_))

        env = self.store.update_env(env.app, env.name, change)
        self.redactors.forget(env.app, env.name)
        if env.release is None:
            return None  # applies to the first deploy
        keys = sorted(set(values) | set(unset))
        dep = self.journal.begin(env, DeploymentKind.CONFIG)

        def job() -> None:
            latest = self._env(env.app, env.name)
            release = replace(
                self._current(latest),  # what runs now, with the config as it is now
                version=self.store.next_release_version(env.app, env.name),
                config=dict(latest.config),
                secrets=latest.secrets,
                created_at=self.clock.now(),
                description=f"Config: {', '.join(keys)}",
            )
            self.store.add_release(release)
            if self.phases.release(dep, release):
                self._rollout(dep, release)

        return self._submit(dep, job)

    def restart(self, env: EnvState, service: str | None) -> Deployment:
        current = self._current(env)
        services = [service] if service else list(current.services)
        self._check_services(current, services)
        dep = self.journal.begin(env, DeploymentKind.RESTART, to_release=current.version)
        return self._submit(
            dep,
            lambda: self._rollout(
                dep, self._running(env.app, env.name), replace_services=frozenset(services)
            ),
        )

    def scale(
        self, env: EnvState, counts: dict[str, int], *, max_scale: int = DEFAULT_MAX_SCALE
    ) -> Deployment:
        """`max_scale`: the server's cap on instances per service (LAUNCHDECK_MAX_SCALE)."""
        current = self._checked_scale(env, counts, max_scale)
        # a manual count for an autoscaled service holds until `autoscale resume`
        paused = {name for name in counts if current.services[name].autoscale is not None}

        def change(state: EnvState) -> EnvState:
            formation = {**state.formation, **counts}
            return replace(state, formation=formation, manual=state.manual | paused)

        env = self.store.update_env(env.app, env.name, change)
        dep = self.journal.begin(env, DeploymentKind.SCALE, to_release=current.version)
        for name in sorted(paused):
            resume = f"launchdeck autoscale resume {name} --app {env.app} --env {env.name}"
            message = f"autoscaling of {name} paused: this count holds until `{resume}`"
            self.journal.event(dep, EventKind.AUTOSCALED, message)
        return self._submit(dep, lambda: self._rollout(dep, self._running(env.app, env.name)))

    def autoscale(self, env: EnvState, decision: Decision) -> Deployment | None:
        """The autoscaler's change of one service's count, recorded with its reason. Not made
        (None) when the count is no longer the one it decided on, or a manual `scale` paused
        the service's autoscaling meanwhile."""
        current = self._current(env)
        service, made = decision.service, False

        def change(state: EnvState) -> EnvState:
            nonlocal made
            count = scale_of(state, current.services).get(service)
            if service in state.manual or count != decision.current:
                return state
            made = True
            return replace(state, formation={**state.formation, service: decision.desired})

        env = self.store.update_env(env.app, env.name, change)
        if not made:
            return None
        dep = self.journal.begin(env, DeploymentKind.AUTOSCALE, to_release=current.version)
        message = f"{service} {decision.current} -> {decision.desired}: {decision.reason}"
        self.journal.event(dep, EventKind.AUTOSCALED, message)
        return self._submit(dep, lambda: self._rollout(dep, self._running(env.app, env.name)))

    # -- dry runs: the plan the executor would run, nothing recorded ----------------------------

    def plan_scale(
        self, env: EnvState, counts: dict[str, int], *, max_scale: int = DEFAULT_MAX_SCALE
    ) -> Plan:
        """`scale --dry-run`: the same checks and the same plan as `scale`."""
        current = self._checked_scale(env, counts, max_scale)
        scaled = replace(env, formation={**env.formation, **counts})
        return self._plan(scaled, current.version, current.services)

    def plan_deploy(self, env: EnvState, manifest: Manifest) -> Plan:
        """`deploy --dry-run`: the rollout of the next release, as the manifest describes it
        (nothing is built: the plan does not depend on the build)."""
        version = self.store.next_release_version(env.app, env.name)
        return self._plan(env, version, manifest.for_env(env.name).services)

    def _plan(self, env: EnvState, version: int, services: Mapping[str, ServiceSpec]) -> Plan:
        desired = Desired(version, services, scale_of(env, services))
        actual = self.store.instances(env.app, env.name)
        return plan_rollout(desired, actual, lambda service: new_instance_id(service, version))

    def _checked_scale(self, env: EnvState, counts: dict[str, int], max_scale: int) -> Release:
        current = self._current(env)
        self._check_services(current, list(counts))
        for name, count in counts.items():
            if count < 0:
                raise Invalid(f"scale {name}={count}: count should be 0 or more", f"e.g. {name}=2")
            if count > max_scale:
                raise Invalid(
                    f"scale {name}={count}: this server runs at most {max_scale} instances "
                    "per service",
                    f"use {name}={max_scale} or less, or raise the cap: set LAUNCHDECK_MAX_SCALE "
                    "on the server and restart it",
                )
        return current

    def resume(self, dep: Deployment) -> None:
        """Finish (or roll back) a deployment a control-plane restart interrupted."""
        release = self.store.release(dep.app, dep.env, dep.to_release) if dep.to_release else None
        if dep.state != DeploymentState.ROLLING or release is None:
            self.journal.finish(
                dep,
                DeploymentState.FAILED,
                "interrupted by a control-plane restart before traffic moved; nothing changed",
            )
            return
        if dep.canary:  # no one watched its traffic meanwhile: put it all back, then judge
            self._submit(dep, lambda: self._undo_canary(dep))
            return
        self.journal.event(dep, EventKind.RESUMED, "control plane restarted: resuming the rollout")
        self._submit(dep, lambda: self._rollout(dep, release))

    def _undo_canary(self, dep: Deployment) -> None:
        env = self._env(dep.app, dep.env)
        stable = self._current(env)
        actual = self.store.instances(env.app, env.name)
        for inst in actual:
            if inst.release == stable.version and inst.port is not None:
                with contextlib.suppress(LaunchdeckError):  # one not routed is re-routed below
                    self.driver.weigh(inst, 1)
        desired = Desired(stable.version, stable.services, self.counts(env, stable))
        plan = plan_rollout(desired, actual, lambda svc: new_instance_id(svc, stable.version))
        self.executor(env, dep, actual).run(plan)
        reason = (
            f"the control plane restarted during the canary: every request is back on "
            f"{stable.name} and the canary's instances are gone; deploy again to retry"
        )
        self.journal.finish(dep, DeploymentState.ROLLED_BACK, reason)

    # -- the rollout -------------------------------------------------------------------------

    def _rollout(
        self, dep: Deployment, release: Release, replace_services: frozenset[str] = frozenset()
    ) -> None:
        canary = dep.canary or (
            release.deploy.canary and dep.kind in (DeploymentKind.DEPLOY, DeploymentKind.PROMOTE)
        )
        dep = replace(dep, state=DeploymentState.ROLLING, to_release=release.version, canary=canary)
        self.store.save_deployment(dep)
        env = self._env(dep.app, dep.env)
        self.ensure_backends(env, release)
        desired = Desired(
            release.version, release.services, self.counts(env, release), replace_services
        )
        actual = self.store.instances(env.app, env.name)
        executor = self.executor(env, dep, actual)
        try:
            if canary and self.traffic is not None and env.release is not None:
                self._canary(dep, release, env.release, actual, desired, executor)
                actual = self.store.instances(env.app, env.name)  # the canary's instances too
            plan = plan_rollout(
                desired, actual, lambda service: new_instance_id(service, release.version)
            )
            executor.go_live(plan)
        except RolloutFailed as failed:
            reason = failed.reason + (
                f"\nlast log lines:\n{failed.log_tail}" if failed.log_tail else ""
            )
            self.journal.finish(dep, DeploymentState.ROLLED_BACK, reason)
            return
        self.store.update_env(
            env.app, env.name, lambda state: replace(state, release=release.version)
        )
        self.journal.finish(dep, DeploymentState.SUCCEEDED)
        # the old instances are drained: stopping them (up to their stop_timeout each) is done
        # once the deploy is reported, before this environment's next job starts
        executor.retire(plan)
        if dep.kind == DeploymentKind.DEPLOY:
            self._prune_builds()

    def _canary(
        self,
        dep: Deployment,
        release: Release,
        stable: int,
        actual: list[Instance],
        desired: Desired,
        executor: Executor,
    ) -> None:
        assert self.traffic is not None
        run = CanaryRun(
            self.journal,
            self.driver,
            self.traffic,
            self.canaries,
            new_id=lambda service: new_instance_id(service, release.version),
            clock=self.clock,
        )
        run.run(dep, release, stable, actual, dict(desired.counts), executor)

    def _prune_builds(self) -> None:
        """Keep the newest builds plus every build a recent release may roll back to."""
        try:
            removed = self.builder.prune(protect=self.store.build_digests_in_use())
        except (OSError, BuildError):
            log.exception("pruning builds failed")
            return
        if removed:
            log.info("pruned %d old builds", len(removed))

    def executor(
        self, env: EnvState, deployment: Deployment | None, actual: list[Instance]
    ) -> Executor:
        """An executor for one environment; events go to the deployment (or the server log)."""
        return Executor(
            self.driver,
            StoreLedger(self.journal, env.app, env.name, deployment),
            app=env.app,
            env=env.name,
            releases=lambda v: self.release_of(env, v),
            instances={i.id: i for i in actual},
            clock=self.clock,
        )

    def ensure_backends(self, env: EnvState, release: Release) -> None:
        routed = sorted(s.name for s in release.services.values() if s.routed)
        domains = tuple(dict.fromkeys((*release.domains, *env.domains)))
        for name in routed:
            primary = name == "web" or len(routed) == 1
            self.driver.ensure_backend(env.app, env.name, release.services[name], primary, domains)

    def counts(self, env: EnvState, release: Release) -> dict[str, int]:
        return scale_of(env, release.services)

    # -- lookups ------------------------------------------------------------------------------

    def _env(self, app: str, name: str) -> EnvState:
        env = self.store.env(app, name)
        if env is None:
            raise NotFound(f"environment {app}/{name} not found")
        return env

    def release_of(self, env: EnvState, version: int) -> Release:
        release = self.store.release(env.app, env.name, version)
        if release is None:
            raise KeyError(version)
        return release

    def _running(self, app: str, name: str) -> Release:
        """The environment's current release as it is now (a job's view, not its caller's)."""
        return self._current(self._env(app, name))

    def _current(self, env: EnvState) -> Release:
        if env.release is None:
            raise Conflict(
                f"{env.app}/{env.name} has no release yet",
                f"deploy first: launchdeck deploy --app {env.app} --env {env.name}",
            )
        return self.release_of(env, env.release)

    def _check_services(self, release: Release, names: list[str]) -> None:
        for name in names:
            if name not in release.services:
                known = ", ".join(sorted(release.services))
                raise Invalid(
                    f"{release.app}/{release.env} has no service {name!r} (it has: {known})",
                    f"use one of: {known}",
                )
