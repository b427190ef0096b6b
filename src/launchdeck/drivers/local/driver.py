"""The local driver: what the executor and the reconciler call to run instances on this host."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from launchdeck.build import Artifact, Builder
from launchdeck.domain import (
    HealthCheck,
    Instance,
    InstanceState,
    Release,
    ServiceSpec,
    service_hosts,
)
from launchdeck.drivers.local.cgroups import Cgroups
from launchdeck.drivers.local.health import probe
from launchdeck.drivers.local.isolation import Isolation
from launchdeck.drivers.local.oneoff import Attached, start_attached
from launchdeck.drivers.local.ports import PortAllocator
from launchdeck.drivers.local.processes import Launch, Proc, Processes
from launchdeck.drivers.local.router.haproxy import Backend, Router
from launchdeck.system import OPEN, Jail

# What app code gets of the daemon's environment (HOME is its account's, from its jail)
BASE_ENV_KEYS = ("PATH", "LANG", "TZ")


def backend_name(app: str, env: str, service: str) -> str:
    return f"{app}_{env}_{service}"  # "_" never occurs in names: unambiguous


def backend_labels(name: str) -> tuple[str, str, str] | None:
    """(app, env, service) of an app's backend; None for the router's own (`_no_app`)."""
    parts = name.split("_")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


@dataclass(frozen=True)
class Paths:
    root: Path

    def log(self, inst: Instance) -> Path:
        return self.root / "logs" / "raw" / inst.app / inst.env / f"{inst.id}.log"

    def pidfile(self, inst: Instance) -> Path:
        return self.root / "run" / inst.app / inst.env / f"{inst.id}.pid"


class LocalDriver:
    def __init__(
        self,
        root: Path,
        *,
        builder: Builder,
        router: Router,
        ports: PortAllocator,
        processes: Processes | None = None,
        cgroups: Cgroups | None = None,
        environ: dict[str, str] | None = None,
        reserved: Callable[[], Collection[int]] = frozenset,
        isolation: Isolation | None = None,
        platform_env: Callable[[Release], Mapping[str, str]] | None = None,
    ) -> None:
        self.paths = Paths(root)
        self.builder = builder
        self.router = router
        self.ports = ports
        self.processes = processes or Processes()
        self.cgroups = cgroups or Cgroups()
        self._environ = environ if environ is not None else dict(os.environ)
        self._reserved = reserved  # ports that are not instances' to take (add-on servers)
        self.isolation = isolation  # None: app code runs as we do (unit tests)
        self._platform_env = platform_env  # the control plane's services: error DSN, flag feed

    # -- jails -----------------------------------------------------------------------------

    def build_jail(self, app: str) -> Jail:
        """Where an app's builds and tests run: its build account, which sees no config."""
        return self.isolation.builder(app) if self.isolation is not None else OPEN

    def env_jail(self, app: str, env: str) -> Jail:
        """Where an environment's release command, instances and one-off commands run."""
        return self.isolation.runtime(app, env) if self.isolation is not None else OPEN

    # -- instances -------------------------------------------------------------------------

    def allocate_port(self, in_use: set[int]) -> int:
        return self.ports.allocate(set(in_use) | set(self._reserved()))

    def build_env(self, artifact: Artifact) -> dict[str, str]:
        """What any code of a build runs with: a few base variables and the buildpack's (PATH,
        the dependency environment), nothing of the app's config."""
        env = {k: self._environ[k] for k in BASE_ENV_KEYS if k in self._environ}
        env.setdefault("LANG", "C.UTF-8")
        env["PYTHONUNBUFFERED"] = "1"
        for key, value in artifact.env.items():
            env[key] = value.replace("$PATH", env.get("PATH", "/usr/bin:/bin"))
        return env

    def test_env(self, artifact: Artifact, *, app: str, env: str) -> dict[str, str]:
        """What `[test] command` runs with: the build's environment and who it is for, never the
        app's config (tests must not reach staging's database); bytecode is not written into
        the immutable build."""
        test = self.build_env(artifact)
        test.update(
            LAUNCHDECK_APP=app,
            LAUNCHDECK_ENV=env,
            LAUNCHDECK_BUILD=artifact.ref.digest,
            CI="true",
            PYTHONDONTWRITEBYTECODE="1",
        )
        if artifact.ref.git_sha:
            test["GIT_SHA"] = artifact.ref.git_sha
        return test

    def instance_env(self, inst: Instance, release: Release) -> dict[str, str]:
        env = self.build_env(self.builder.get(release.build.digest))
        if self._platform_env is not None:
            env.update(self._platform_env(release))  # the app's config may override these
        env.update(release.environ())
        env.update(
            LAUNCHDECK_APP=inst.app,
            LAUNCHDECK_ENV=inst.env,
            LAUNCHDECK_SERVICE=inst.service,
            LAUNCHDECK_INSTANCE=inst.id,
            LAUNCHDECK_RELEASE=release.name,
            LAUNCHDECK_BUILD=release.build.digest,
        )
        if release.build.git_sha:
            env["GIT_SHA"] = release.build.git_sha
        if inst.port is not None:
            env["PORT"] = str(inst.port)
        return env

    def one_off(self, run_id: str, command: str, release: Release) -> Launch:
        """A one-off run of `release` (`launchdeck run`, a cron job): an instance's environment,
        account and build, no port; its log is kept under `run_id` (`run.v3-1a2b3c4d`)."""
        inst = Instance(run_id, release.app, release.env, "run", release.version,
                        InstanceState.STARTING)  # fmt: skip
        return Launch(
            instance_id=run_id,
            command=command,
            env=self.instance_env(inst, release),
            cwd=self.builder.get(release.build.digest).app_dir,
            log=self.paths.log(inst),
            pidfile=self.paths.pidfile(inst),
            jail=self.env_jail(release.app, release.env),
        )

    def start_one_off(self, run_id: str, command: str, release: Release) -> tuple[int, float, Path]:
        launch = self.one_off(run_id, command, release)
        proc = self.processes.start(launch)
        return proc.pid, proc.started_at, launch.log

    def attach_one_off(
        self, run_id: str, command: str, release: Release, *, tty: bool, rows: int, cols: int
    ) -> Attached:
        return start_attached(self.one_off(run_id, command, release), tty=tty, rows=rows, cols=cols)

    def one_off_alive(self, pid: int, started_at: float) -> bool:
        return self.processes.alive(Proc(pid, started_at))

    def one_off_exit_code(self, pid: int, started_at: float) -> int | None:
        return self.processes.exit_code(Proc(pid, started_at))

    def stop_one_off(self, pid: int, started_at: float, *, timeout: float) -> None:
        self.processes.stop(Proc(pid, started_at), timeout=timeout)

    def one_off_log(self, run_id: str, app: str, env: str) -> Path:
        return self.paths.root / "logs" / "raw" / app / env / f"{run_id}.log"

    def start(self, inst: Instance, release: Release, service: ServiceSpec) -> Instance:
        artifact = self.builder.get(release.build.digest)
        launch = Launch(
            instance_id=inst.id,
            command=service.command,
            env=self.instance_env(inst, release),
            cwd=artifact.app_dir,
            log=self.paths.log(inst),
            pidfile=self.paths.pidfile(inst),
            cgroup_procs=self.cgroups.prepare(inst.id, service.resources),
            jail=self.env_jail(inst.app, inst.env),
        )
        proc = self.processes.start(launch)
        return replace(inst, pid=proc.pid, started_at=proc.started_at)

    def alive(self, inst: Instance) -> bool:
        proc = self._proc(inst)
        return proc is not None and self.processes.alive(proc)

    def adopt(self, inst: Instance) -> Instance:
        """Fill in the pid of an instance whose start was interrupted before it was recorded."""
        if inst.pid is not None:
            return inst
        proc = self.processes.adopt_pid(self.paths.pidfile(inst))
        if proc is None:
            return inst
        return replace(inst, pid=proc.pid, started_at=proc.started_at)

    def exit_code(self, inst: Instance) -> int | None:
        proc = self._proc(inst)
        return self.processes.exit_code(proc) if proc is not None else None

    def probe(self, inst: Instance, health: HealthCheck) -> bool:
        if inst.port is None:
            return self.alive(inst)
        return probe(inst.port, health.path, timeout=health.timeout)

    def stop(self, inst: Instance, *, timeout: float) -> None:
        proc = self._proc(inst)
        if proc is not None:
            self.processes.stop(proc, timeout=timeout)
        self.cgroups.release(inst.id)
        self.paths.pidfile(inst).unlink(missing_ok=True)

    def log_tail(self, inst: Instance, lines: int = 10) -> str:
        try:
            with self.paths.log(inst).open(errors="replace") as fh:
                return "".join(deque(fh, maxlen=lines)).rstrip()
        except OSError:
            return ""

    def _proc(self, inst: Instance) -> Proc | None:
        if inst.pid is None or inst.started_at is None:
            return None
        return Proc(inst.pid, inst.started_at)

    # -- routing ---------------------------------------------------------------------------

    def ensure_backend(
        self, app: str, env: str, service: ServiceSpec, primary: bool, domains: tuple[str, ...] = ()
    ) -> None:
        hosts = service_hosts(app, env, service.name, primary) + (domains if primary else ())
        name = backend_name(app, env, service.name)
        current = {b.name: b for b in self.router.backends()}.get(name)
        servers = current.servers if current is not None else ()
        wanted = Backend(name=name, hosts=hosts, health=service.health, servers=servers)
        if current != wanted:
            self.router.set_backend(wanted)

    def route(self, inst: Instance) -> None:
        assert inst.port is not None
        self.router.add_server(backend_name(inst.app, inst.env, inst.service), inst.id, inst.port)

    def weigh(self, inst: Instance, weight: int) -> None:
        """The routed instance's share of its service's requests against the others'."""
        self.router.set_weight(backend_name(inst.app, inst.env, inst.service), inst.id, weight)

    def drain(self, inst: Instance) -> None:
        """Stop sending new requests; a no-op for an instance that was never routed."""
        if inst.id in self.routed(inst.app, inst.env, inst.service):
            self.router.drain_server(backend_name(inst.app, inst.env, inst.service), inst.id)

    def sessions(self, inst: Instance) -> int:
        return self.router.sessions(backend_name(inst.app, inst.env, inst.service), inst.id)

    def unroute(self, inst: Instance, *, timeout: float = 5.0) -> None:
        if inst.id not in self.routed(inst.app, inst.env, inst.service):
            return
        self.router.remove_server(
            backend_name(inst.app, inst.env, inst.service), inst.id, timeout=timeout
        )

    def routed(self, app: str, env: str, service: str) -> set[str]:
        name = backend_name(app, env, service)
        for backend in self.router.backends():
            if backend.name == name:
                return {s.name for s in backend.servers}
        return set()

    def failing(self, app: str, env: str, service: str) -> set[str]:
        """Instances whose router health checks have failed `unhealthy` times in a row."""
        name = backend_name(app, env, service)
        if name not in {b.name for b in self.router.backends()}:
            return set()
        return {n for n, status in self.router.live_servers(name).items() if status == "DOWN"}

    def remove_backends(self, app: str, env: str) -> None:
        prefix = f"{app}_{env}_"
        for backend in self.router.backends():
            if backend.name.startswith(prefix):
                self.router.remove_backend(backend.name)
