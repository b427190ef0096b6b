"""The Router: one HAProxy per host, routing `Host:` names to backends of local instances.

The desired state (backends, their servers and server states) is recorded in `router.json` and
rendered into `haproxy.cfg` + `hosts.map`; the config is HAProxy's source of truth, so a reload or
a restart after `kill -9` loses nothing. A server occupies one of its backend's static slots
(see haproxy_config): adding, draining and removing it re-point and re-state that slot through
the runtime API at once and rewrite the files without a reload. Backend changes (hosts, health,
more slots) rewrite the files, validate them with `haproxy -c` and reload the master, which hands
the listening sockets to the new worker.

Mutations hold an flock on the root, so any number of Routers (threads, a restarted control
plane) can share one root; each re-reads the record instead of trusting memory.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path

from launchdeck.drivers.local.router.config import (
    MAX_WEIGHT,
    PLACEHOLDER_PORT,
    Backend,
    RouterPaths,
    RouterState,
    Server,
    ServerState,
    check_host_conflicts,
    config_shape,
    render_config,
    render_hosts_map,
    router_threads,
    state_from_json,
    state_to_json,
    validate_name,
    validate_port,
    validate_server,
    validated_backend,
)
from launchdeck.drivers.local.router.errors import (
    ApiUnavailable,
    InvalidRouterInput,
    NoSuchBackend,
    NoSuchServer,
    NotRunning,
    ReloadFailed,
    RouterError,
    RuntimeApiError,
    StartFailed,
    UnknownBackend,
    UnknownServer,
)
from launchdeck.drivers.local.router.process import HAProxyProcesses, find_haproxy
from launchdeck.drivers.local.router.runtime_api import (
    MasterCli,
    Processes,
    RuntimeApi,
    ServerStat,
    UnixSocketTransport,
)
from launchdeck.system import SYSTEM_CLOCK, Clock, FileLock, Runner, atomic_write, wait_until

__all__ = ["Backend", "Router", "Server"]

_GONE = (NoSuchServer, NoSuchBackend)


class Router:
    def __init__(
        self,
        root: Path,
        *,
        http_port: int,
        bind: str = "127.0.0.1",
        runner: Runner = Runner(),
        clock: Clock = SYSTEM_CLOCK,
        haproxy: str = "haproxy",
        threads: int | None = None,
        request_log: bool = False,
    ) -> None:
        """`request_log`: HAProxy logs every request to `paths.request_log` (a RequestLog)."""
        self.paths = RouterPaths(Path(root).absolute())
        self.paths.validate()
        validate_port("router http_port", http_port)
        if not bind or any(c.isspace() for c in bind):
            raise InvalidRouterInput(f"router bind: should be an address (got {bind!r})")
        self.http_port = http_port
        self.bind = bind
        self.runner = runner
        self.clock = clock
        self.haproxy = haproxy
        self.request_log = request_log
        self.threads = threads if threads is not None else router_threads(os.cpu_count())
        # Adding, draining or removing a server changes slot lines only: such a config is not
        # run through `haproxy -c` (30 ms) again when one of its shape already passed.
        self._checked_shapes: set[str] = set()
        self._loaded: tuple[tuple[int, int, int], RouterState] | None = None
        self._procs = HAProxyProcesses(self.paths, runner=runner, clock=clock)
        self._master = MasterCli(UnixSocketTransport(self.paths.master_socket, clock=clock))
        self._api: RuntimeApi = self._master.worker()

    # -- the process -------------------------------------------------------------------------

    def ensure_running(self) -> bool:
        """Start HAProxy from the recorded state unless its master is alive. True if it started."""
        with self._locked():
            if self.is_running():
                return False
            haproxy = find_haproxy(self.haproxy)
            state = self._load()
            leftovers = self._procs.all_ours()  # workers orphaned by a killed master
            self._install(state)
            self._procs.start(haproxy)
            # Orphans share the port (SO_REUSEPORT) until told to stop accepting and finish.
            self._procs.signal(leftovers, signal.SIGUSR1)
            self._wait_for_worker()
            self._reassert_states(state)
            return True

    def ensure_current(self) -> None:
        """Reload a running HAProxy whose config this version would write otherwise (after an
        upgrade, or request logging turned on or off)."""
        with self._locked():
            state = self._load()
            if self.is_running() and self._render(state) != _read(self.paths.config):
                self._commit(state, state)

    def is_running(self) -> bool:
        return self._procs.master_pid() is not None

    def pid(self) -> int | None:
        return self._procs.master_pid()

    def stop(self) -> None:
        with self._locked():
            self._procs.stop()

    # -- backends ----------------------------------------------------------------------------

    def set_backend(self, backend: Backend) -> None:
        """Create or update a backend's hosts and health. The servers of an existing backend are
        kept (use add_server and friends); `backend.servers` only seeds a new one."""
        backend = validated_backend(backend)
        with self._locked():
            state = self._load()
            old = state.backend(backend.name)
            if old is not None:
                backend = replace(backend, servers=old.servers)
            if backend == old:
                return
            new = state.with_backend(backend)
            check_host_conflicts(new)
            self._commit(state, new)

    def remove_backend(self, name: str) -> None:
        validate_name("backend name", name)
        with self._locked():
            state = self._load()
            if state.backend(name) is not None:
                self._commit(state, state.without_backend(name))

    def backends(self) -> list[Backend]:
        return list(self._load().backends)

    # -- servers -----------------------------------------------------------------------------

    def add_server(self, backend: str, name: str, port: int) -> None:
        """Route to 127.0.0.1:port now (a free slot re-pointed through the runtime API) and from
        now on (recorded in the config). It takes traffic at once: the caller gated its health;
        HAProxy's checks watch it from then on."""
        validate_name("backend name", backend)
        validate_server(backend, Server(name, port))
        with self._locked():
            state = self._load()
            current = self._backend(state, backend)
            existing = current.server(name)
            if existing is not None and existing.port != port:
                raise InvalidRouterInput(
                    f"backends.{backend}.servers.{name}: already routed to port {existing.port}; "
                    f"remove it before adding it on port {port}"
                )
            updated = current.with_server(Server(name, port))
            new = state.with_backend(updated)
            if new.slots(backend).size > state.slots(backend).size:
                self._commit(state, new)  # no free slot: new slot lines need a reload
                return
            if new != state:
                self._install(new)
            if not self.is_running():
                return  # recorded: the next start routes to it
            slot = self._slot(new, backend, name)
            try:
                self._route_live(updated, slot, port)
            except RouterError:
                if new != state:
                    self._install(state)
                if existing is None:
                    with suppress(RouterError):
                        self._free_live(updated, slot)
                raise

    def set_weight(self, backend: str, name: str, weight: int) -> None:
        """The server's share of new requests against its backend's others (0-256), now and
        after a reload."""
        if not 0 <= weight <= MAX_WEIGHT:
            raise InvalidRouterInput(f"weight {weight}: should be from 0 to {MAX_WEIGHT}")
        validate_name("backend name", backend)
        with self._locked():
            self._rewrite_server(
                backend, name, lambda b, s: b.with_server(replace(s, weight=weight))
            )
            slot = self._slot(self._load(), backend, name)
        if self.is_running():
            self._api.set_weight(backend, slot, weight)

    def drain_server(self, backend: str, name: str) -> None:
        """Stop sending new requests to the server; requests in flight finish."""
        slot = self._set_recorded_state(backend, name, "drain")
        if self.is_running():
            # Not live: it is recorded as draining, which is how a reload brings it back.
            with suppress(*_GONE):
                self._api.set_state(backend, slot, "drain")

    def remove_server(self, backend: str, name: str, *, timeout: float = 10.0) -> None:
        """Maintenance, wait for its sessions to end (cut them after `timeout`), free its slot.
        A server that is already gone, live or recorded, is not an error."""
        validate_name("backend name", backend)
        validate_name(f"backends.{backend}.servers: name", name)
        with self._locked():
            # Recorded as maint first: a reload while we wait must not bring it back as ready.
            self._rewrite_server(
                backend, name, lambda b, s: b.with_server(replace(s, state="maint"))
            )
            slot = self._load().slots(backend).slot_of(name)
            if slot is not None and not (self.is_running() and self._maint_live(backend, slot)):
                slot = None  # not live: nothing to wait for or free
        if slot is not None:
            self._wait_for_no_sessions(backend, slot, timeout)
        with self._locked():
            state = self._load()
            held = state.slots(backend).slot_of(name)  # None if removed meanwhile by someone else
            self._rewrite_server(backend, name, lambda b, s: b.without_server(s.name))
            if slot is not None and slot == held and self.is_running():
                with suppress(*_GONE):
                    self._free_live(self._backend(state, backend), slot)

    # -- runtime queries ---------------------------------------------------------------------

    def sessions(self, backend: str, name: str) -> int:
        """Current sessions (scur) on the server, counting old workers still finishing theirs
        after a reload: an instance must not be stopped while any of them uses it."""
        self._require_running(backend)
        slot = self._load().slots(backend).slot_of(name)
        if slot is None:
            raise NoSuchServer(f"show stat {backend}/{name}", "No such server.")
        return self._slot_sessions(backend, slot)

    def live_servers(self, backend: str) -> dict[str, str]:
        """Server name -> UP | DOWN | DRAIN | MAINT, as the current worker sees them."""
        slots = self._load().slots(backend)
        return {
            name: stat.status
            for stat in self._live_stats(backend)
            if (name := slots.server_in(stat.name)) is not None
        }

    # -- internals ---------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.paths.root.mkdir(parents=True, exist_ok=True)
        with FileLock(self.paths.lock):
            yield

    def _load(self) -> RouterState:
        """The recorded state; parsed again only when the file was replaced (the reconciler
        reads it several times a second)."""
        try:
            st = self.paths.state.stat()
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
            if self._loaded is not None and self._loaded[0] == key:
                return self._loaded[1]
            state = state_from_json(self.paths.state.read_text())
        except FileNotFoundError:
            return RouterState()
        self._loaded = (key, state)
        return state

    @staticmethod
    def _backend(state: RouterState, name: str) -> Backend:
        found = state.backend(name)
        if found is None:
            raise UnknownBackend(name)
        return found

    def _install(self, state: RouterState) -> None:
        """Render, validate with `haproxy -c`, then replace the files; a rejected config leaves
        every file as it was."""
        paths = self.paths
        config = self._render(state)
        if not paths.hosts_map.exists():
            atomic_write(paths.hosts_map, "")  # the check opens the map the config names
        atomic_write(paths.candidate, config)
        shape = config_shape(config)
        if shape not in self._checked_shapes:
            try:
                self._procs.check(find_haproxy(self.haproxy), paths.candidate)
            except BaseException:
                paths.candidate.unlink(missing_ok=True)
                raise
            if len(self._checked_shapes) > 64:
                self._checked_shapes.clear()
            self._checked_shapes.add(shape)
        atomic_write(paths.hosts_map, render_hosts_map(state))
        os.replace(paths.candidate, paths.config)
        atomic_write(paths.state, state_to_json(state))

    def _render(self, state: RouterState) -> str:
        return render_config(
            state,
            self.paths,
            http_port=self.http_port,
            bind=self.bind,
            threads=self.threads,
            request_log=self.request_log,
        )

    def _commit(self, old: RouterState, new: RouterState) -> None:
        """Install `new` and reload if running; on a failed reload put `old` back."""
        self._install(new)
        if not self.is_running():
            return
        try:
            self._reload(new)
        except ReloadFailed:
            self._install(old)
            self._reload(old)
            raise

    def _reload(self, state: RouterState) -> None:
        before = self._master.processes()
        self._master.reload()

        def new_worker() -> bool:
            after = self._processes()
            if after is None or after.reloads <= before.reloads:
                return False
            if after.failed_reloads > before.failed_reloads:
                raise ReloadFailed(
                    "haproxy failed to load the new config and keeps serving the old one"
                )
            return any(pid not in before.workers for pid in after.workers)

        if not wait_until(new_worker, timeout=15.0, interval=0.02, clock=self.clock):
            raise ReloadFailed("haproxy did not come back with a new worker within 15s")
        self._reassert_states(state)

    def _processes(self) -> Processes | None:
        try:
            return self._master.processes()
        except RuntimeApiError:
            return None  # the master is re-executing itself

    def _wait_for_worker(self) -> None:
        def worker_up() -> bool:
            procs = self._processes()
            return procs is not None and bool(procs.workers)

        if not wait_until(worker_up, timeout=10.0, interval=0.02, clock=self.clock):
            raise StartFailed("haproxy started but no worker came up within 10s")

    def _reassert_states(self, state: RouterState) -> None:
        """Draining servers are rendered with weight 0 (no new requests from the first instant);
        mark them DRAIN too, so the runtime status says what the record says."""
        for backend in state.backends:
            for server in backend.servers:
                if server.state == "drain":
                    with suppress(*_GONE):
                        slot = self._slot(state, backend.name, server.name)
                        self._api.set_state(backend.name, slot, "drain")

    @staticmethod
    def _slot(state: RouterState, backend: str, name: str) -> str:
        slot = state.slots(backend).slot_of(name)
        if slot is None:
            raise UnknownServer(backend, name)
        return slot

    def _set_recorded_state(self, backend: str, name: str, server_state: ServerState) -> str:
        """Record the server's new state; its slot."""
        validate_name("backend name", backend)
        with self._locked():
            state = self._load()
            current = self._backend(state, backend)
            server = current.server(name)
            if server is None:
                raise UnknownServer(backend, name)
            if server.state != server_state:
                self._install(
                    state.with_backend(current.with_server(replace(server, state=server_state)))
                )
            return self._slot(state, backend, name)

    def _rewrite_server(
        self, backend: str, name: str, change: Callable[[Backend, Server], Backend]
    ) -> None:
        """Record `change` to a recorded server; nothing when the server is not recorded."""
        state = self._load()
        current = state.backend(backend)
        server = current.server(name) if current is not None else None
        if current is not None and server is not None:
            updated = change(current, server)
            if updated != current:
                self._install(state.with_backend(updated))

    def _route_live(self, backend: Backend, slot: str, port: int) -> None:
        api, name = self._api, backend.name
        api.set_address(name, slot, "127.0.0.1", port)
        api.set_weight(name, slot, 1)  # the slot may have been drained before a reload
        if backend.health is not None:
            api.set_health(name, slot, "up")
            # Before leaving maintenance: checks enabled after it never run in HAProxy 2.6.
            api.enable_health(name, slot)
        api.set_state(name, slot, "ready")

    def _free_live(self, backend: Backend, slot: str) -> None:
        """Back to a placeholder, in maintenance and unchecked: a free slot never probes a port
        that some other program may have by now."""
        api, name = self._api, backend.name
        api.set_state(name, slot, "maint")
        if backend.health is not None:
            api.disable_health(name, slot)
        api.set_address(name, slot, "127.0.0.1", PLACEHOLDER_PORT)

    def _maint_live(self, backend: str, name: str) -> bool:
        """Put the live server in maintenance; False when it is not live at all."""
        try:
            self._api.set_state(backend, name, "maint")
        except _GONE:
            return False
        return True

    def _slot_sessions(self, backend: str, slot: str) -> int:
        counts = [s.sessions for s in self._api.stat() if (s.backend, s.name) == (backend, slot)]
        for api in self._old_workers():
            with suppress(RuntimeApiError):  # it may exit while we ask
                counts += [s.sessions for s in api.stat() if (s.backend, s.name) == (backend, slot)]
        if not counts:
            raise NoSuchServer(f"show stat {backend}/{slot}", "No such server.")
        return sum(counts)

    def _wait_for_no_sessions(self, backend: str, slot: str, timeout: float) -> None:
        """Until the slot's sessions have finished; those still open at `timeout` are cut."""

        def idle() -> bool:
            try:
                return self._slot_sessions(backend, slot) == 0
            except (*_GONE, NotRunning, ApiUnavailable):
                return True  # the server, or HAProxy, is gone: nothing left to wait for

        if not wait_until(idle, timeout=timeout, interval=0.05, clock=self.clock):
            for api in [self._api, *self._old_workers()]:
                with suppress(RuntimeApiError):
                    api.shutdown_sessions(backend, slot)

    def _live_stats(self, backend: str) -> list[ServerStat]:
        self._require_running(backend)
        return [s for s in self._api.stat() if s.backend == backend]

    def _old_workers(self) -> list[RuntimeApi]:
        """Workers from before a reload, finishing their sessions (for at most 30 s)."""
        procs = self._processes()
        return [self._master.worker(pid) for pid in (procs.old_workers if procs else ())]

    def _require_running(self, backend: str) -> None:
        validate_name("backend name", backend)
        if not self.is_running():
            raise NotRunning(f"haproxy is not running for {self.paths.root}: call ensure_running()")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""
