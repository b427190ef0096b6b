"""The control plane's parts wired together, and the read side the API shows."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from launchdeck.build import Builder
from launchdeck.controlplane import uploads
from launchdeck.controlplane.access.redaction import Redactors
from launchdeck.controlplane.access.secrets import Keyring
from launchdeck.controlplane.autoscaling import Autoscaler
from launchdeck.controlplane.autoscaling.figures import Figures
from launchdeck.controlplane.databases.wiring import Databases
from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.errors import NotFound
from launchdeck.controlplane.errortracking.store import ErrorStore
from launchdeck.controlplane.errortracking.tracker import ErrorTracker
from launchdeck.controlplane.flags.service import Flags
from launchdeck.controlplane.flags.store import FlagStore
from launchdeck.controlplane.git import GitRepos
from launchdeck.controlplane.logs.store import LogStore
from launchdeck.controlplane.metrics.alerting import Alerting
from launchdeck.controlplane.metrics.loop import MetricsLoop
from launchdeck.controlplane.metrics.prometheus import Exposition, registry
from launchdeck.controlplane.metrics.queues import Queues
from launchdeck.controlplane.metrics.recent import ReleaseSides
from launchdeck.controlplane.metrics.store import STEPS, MetricsStore
from launchdeck.controlplane.notify import Notifier
from launchdeck.controlplane.reconciler import Reconciler
from launchdeck.controlplane.runs.cron import CronScheduler
from launchdeck.controlplane.runs.service import Runs
from launchdeck.controlplane.settings import Settings
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import Deployment, Event, Instance, InstanceState, Release, app_host
from launchdeck.domain.alerts import BACKUP_FAILED
from launchdeck.drivers.local.addons import AddonHost
from launchdeck.drivers.local.driver import LocalDriver, backend_labels
from launchdeck.drivers.local.isolation import Isolation
from launchdeck.drivers.local.metrics import Collector, host_memory
from launchdeck.drivers.local.ports import PortAllocator
from launchdeck.drivers.local.postgres.copies import s3_copies
from launchdeck.drivers.local.redis.known import KnownRedis
from launchdeck.drivers.local.redis.queues import RedisQueues
from launchdeck.drivers.local.router.haproxy import Router
from launchdeck.drivers.local.router.requestlog import RequestLog, ServerNames


def deployment_json(dep: Deployment) -> dict[str, Any]:
    return {
        "id": dep.id,
        "app": dep.app,
        "env": dep.env,
        "kind": dep.kind.value,
        "state": dep.state.value,
        "finished": dep.state.finished,
        "from_release": dep.from_release,
        "to_release": dep.to_release,
        "reason": dep.reason,
        "created_at": dep.created_at,
        "finished_at": dep.finished_at,
        "canary": dep.canary,
    }


def event_json(event: Event) -> dict[str, Any]:
    return {"seq": event.seq, "at": event.at, "kind": event.kind, "message": event.message}


def instance_json(inst: Instance) -> dict[str, Any]:
    return {
        "id": inst.id,
        "service": inst.service,
        "release": f"v{inst.release}",
        "state": inst.state.value,
        "health": inst.health.value,
        "port": inst.port,
        "pid": inst.pid,
        "started_at": inst.started_at,
        "restarts": inst.restarts,
    }


class ControlPlane:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.home
        self.store = Store(settings.db, Keyring(self.home))
        self.redactors = Redactors(self.store)
        self.isolation = Isolation(settings.apps, home=self.home)
        self.isolation.prepare()
        environ = self.isolation.environ(os.environ)  # never the daemon's own environment
        self.builder = Builder(
            self.isolation.store,
            keep=settings.keep_builds,
            python=self.isolation.python(),
            environ=environ,
        )
        self.router = Router(
            self.home / "router",
            http_port=settings.http_port,
            bind=settings.bind,
            request_log=settings.request_metrics,
        )
        self.request_log = (
            RequestLog(
                self.router.paths.request_log,
                labels=backend_labels,
                instance_of=ServerNames(self.router.backends),
            )
            if settings.request_metrics
            else None
        )
        self.metrics_store = MetricsStore(
            settings.metrics_db, dict(zip(STEPS, settings.metrics_retention, strict=True))
        )
        ports = PortAllocator(*settings.port_range)
        self.addons = AddonHost(settings.addons, ports=ports, in_use=self.store.ports_in_use)
        self.driver = LocalDriver(
            self.home,
            builder=self.builder,
            router=self.router,
            ports=ports,
            reserved=self.addons.reserved_ports,
            environ=environ,
            isolation=self.isolation,
            platform_env=self.platform_env,
        )
        self.notifier = Notifier()
        self.flags = Flags(FlagStore(self.home / "flags.db", Keyring(self.home)))
        self.runs = Runs(self.store, self.driver, self.redactors)
        self.cron = CronScheduler(self.store, self.runs, self.notifier)
        self.errors = ErrorTracker(
            ErrorStore(self.home / "errors.db"),
            self.store,
            self.notifier,
            lambda app, env, since: self.metrics_store.request_count(app, env, since=since),
        )
        self.deployments = Deployments(
            self.store,
            self.builder,
            self.driver,
            redactors=self.redactors,
            notifier=self.notifier,
            addons=self.addons,
        )
        self.reconciler = Reconciler(self.deployments, interval=settings.reconcile_interval)
        self.databases = Databases.wire(
            store=self.store, deployments=self.deployments, addons=self.addons,
            copies=s3_copies, builder=self.builder, driver=self.driver, notifier=self.notifier,
            workdir=self.home / "tmp", home=self.home,
        )  # fmt: skip
        self.logs = LogStore(self.home / "logs", redact=self.redactors)
        self.alerting = Alerting(self.metrics_store, self.store, self.logs, self.notifier)
        self.databases.backups.on_failed = lambda app, env, detail: self.alerting.note(
            app, env, BACKUP_FAILED, f"{BACKUP_FAILED}: {detail}"
        )
        self.queues = Queues(self.store, RedisQueues(KnownRedis(self.addons.root)))
        self.metrics = MetricsLoop(
            self.metrics_store,
            self.request_log,
            Collector.local(self.driver.cgroups, self.addons),
            lambda: self.store.instances(),
            platform=lambda: [
                *self.reconciler.samples(),
                *self.autoscaler.samples(),
                *self.queues.samples(),
            ],
            after_pass=self.alerting.evaluate_all,
        )
        self.deployments.traffic = ReleaseSides(self.metrics)  # canaries' analysis
        self.autoscaler = Autoscaler(
            self.store,
            self.deployments,
            self.metrics_store,
            Figures(self.metrics, self.queues),
            memory=host_memory,
        )
        self.prometheus = registry(
            Exposition(self.metrics.totals, lambda: self.metrics.latest, self.store.instances)
        )
        # the hook runs this interpreter's console script: the CLI that came with this daemon
        launchdeck = Path(sys.executable).parent / "launchdeck"
        self.git = GitRepos(self.home / "git", home=self.home, launchdeck=launchdeck)
        self._stop = threading.Event()

    def start(self) -> None:
        """Adopt what runs, resume interrupted deployments, then start the loops."""
        uploads.sweep(self.home / "tmp")  # before the API serves: nothing of ours is in flight
        if self.request_log is not None:
            self.request_log.start()  # listening before HAProxy starts logging to it
        self.router.ensure_running()
        self.router.ensure_current()
        for dep in self.store.unfinished_deployments():
            self.deployments.resume(dep)
        self.runs.resume()
        self.cron.start()
        self.reconciler.start()
        self.databases.start()
        self.metrics.start()
        self.autoscaler.start()
        threading.Thread(target=self._pump_logs, name="logs", daemon=True).start()

    def shutdown(self, *, everything: bool = False) -> None:
        self._stop.set()
        self.cron.stop()
        self.autoscaler.stop()
        self.reconciler.stop()
        self.databases.stop()
        if everything:
            for name, _ in self.store.apps():
                self._stop_app(name)
            self.router.stop()
            self.addons.stop_all()
        self.logs.ingest()
        self.metrics.stop()
        if self.request_log is not None:
            self.request_log.stop()
        self.metrics_store.close()
        self.flags.store.close()
        self.errors.store.close()
        self.notifier.drain(timeout=2.0)  # what is queued gets a short chance to go out
        self.notifier.close()

    def _pump_logs(self) -> None:
        while not self._stop.wait(0.5):
            with contextlib.suppress(OSError):
                self.logs.ingest()

    def platform_env(self, release: Release) -> dict[str, str]:
        """What every instance, release command and one-off run of an environment is given
        besides its config (which may override it): its Sentry DSN and flag feed."""
        project = self.errors.store.project_for(release.app, release.env)
        api = f"127.0.0.1:{self.settings.api_port}"
        return {
            "SENTRY_DSN": f"http://{project.public_key}@{api}/{project.id}",
            "SENTRY_RELEASE": release.name,
            "SENTRY_ENVIRONMENT": release.env,
            "LAUNCHDECK_FLAGS_URL": f"http://{api}/flags/v1/set",
            "LAUNCHDECK_FLAGS_TOKEN": self.flags.store.token(release.app, release.env),
        }

    # -- read side --------------------------------------------------------------------------

    def deployment(self, dep_id: int) -> Deployment:
        dep = self.store.deployment(dep_id)
        if dep is None:
            raise NotFound(f"deployment {dep_id} not found")
        return dep

    def follow_events(
        self, dep_id: int, after: int, timeout: float = 3600
    ) -> Iterator[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.store.deployment_changes()
            events = self.store.events(dep_id, after)
            for event in events:
                after = event.seq
                yield event_json(event)
            if events:
                continue
            if self.deployment(dep_id).state.finished and not self.store.events(dep_id, after):
                return
            # a change made since `seen` was read (even before this call) ends the wait at once
            self.store.wait_for_deployment_change(seen, 1.0)

    def url(self, app: str, env: str) -> str:
        return f"http://{app_host(app, env)}:{self.settings.http_port}/"

    def app_json(self, name: str) -> dict[str, Any]:
        envs = self.store.envs(name)
        return {"name": name, "envs": {e.name: self.env_summary(e) for e in envs}}

    def env_summary(self, env: EnvState) -> dict[str, Any]:
        # a drained instance on its way out (stopped just after a deploy) is no longer counted
        draining = InstanceState.DRAINING
        insts = [i for i in self.store.instances(env.app, env.name) if i.state != draining]
        release = self.store.release(env.app, env.name, env.release) if env.release else None
        deps = self.store.deployments(env.app, env.name, 1)
        return {
            "release": release.name if release else None,
            "build": release.build.digest if release else None,
            "instances": len(insts),
            "healthy": sum(1 for i in insts if i.health.ok),
            "last_deployment": f"{deps[0].kind.value} {deps[0].state.value}" if deps else None,
            "url": self.url(env.app, env.name),
        }

    def env_json(self, env: EnvState) -> dict[str, Any]:
        release = self.store.release(env.app, env.name, env.release) if env.release else None
        deps = self.store.deployments(env.app, env.name, 1)
        formation = self.deployments.counts(env, release) if release else dict(env.formation)
        return {
            "app": env.app,
            "env": env.name,
            "url": self.url(env.app, env.name),
            "release": release.name if release else None,
            "build": release.build.digest if release else None,
            "formation": formation,
            "instances": [instance_json(i) for i in self.store.instances(env.app, env.name)],
            "last_deployment": deployment_json(deps[0]) if deps else None,
            "router": "running" if self.router.is_running() else "down",
            "resource_limits": self.driver.cgroups.support.detail
            if self.driver.cgroups.support.enabled
            else f"not enforced: {self.driver.cgroups.support.detail}",
            "isolation": self.isolation.support.detail,
        }

    def releases_json(self, env: EnvState) -> list[dict[str, Any]]:
        return [
            {
                "version": r.version,
                "name": r.name,
                "build": r.build.digest,
                "git_sha": r.build.git_sha,
                "description": r.description,
                "created_at": r.created_at,
                "config_keys": sorted(r.environ()),
                "current": r.version == env.release,
            }
            for r in self.store.releases(env.app, env.name)
        ]

    def instances_json(self, env: EnvState) -> list[dict[str, Any]]:
        return [instance_json(i) for i in self.store.instances(env.app, env.name)]

    def server_status(self) -> dict[str, Any]:
        return {
            "home": str(self.home),
            "api_url": self.settings.api_url,
            "http_port": self.settings.http_port,
            "router": {"running": self.router.is_running(), "pid": self.router.pid()},
            "apps": len(self.store.apps()),
            "instances": len(self.store.instances()),
            "resource_limits": self.driver.cgroups.support.detail
            if self.driver.cgroups.support.enabled
            else f"not enforced: {self.driver.cgroups.support.detail}",
            "isolation": self.isolation.support.detail,
        }

    # -- destroy ------------------------------------------------------------------------------

    def destroy(self, name: str) -> dict[str, Any]:
        stopped = self._stop_app(name)
        for env in self.store.envs(name):
            self.addons.detach(name, env.name)
        self.store.delete_app(name)
        self.flags.store.forget_app(name)
        self.errors.store.forget_app(name)
        shutil.rmtree(self.logs.root / name, ignore_errors=True)
        shutil.rmtree(self.home / "logs" / "raw" / name, ignore_errors=True)
        self.git.remove(name)
        self.isolation.forget(name)
        return {"name": name, "destroyed": True, "instances_stopped": stopped}

    def _stop_app(self, name: str) -> int:
        stopped = 0
        for env in self.store.envs(name):
            worker = self.deployments.workers[(name, env.name)]
            with worker.lock:
                for inst in self.store.instances(name, env.name):
                    self.driver.stop(inst, timeout=5.0)
                    self.store.remove_instance(inst)
                    stopped += 1
                self.driver.remove_backends(name, env.name)
        return stopped
