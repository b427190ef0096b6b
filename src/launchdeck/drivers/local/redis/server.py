"""A Redis server the control plane runs: Debian's redis-server with its own config, data
directory and pidfile under a given root, 127.0.0.1 on its own port, a password, and AOF
persistence (appendonly, fsync every second), daemonized into its own session so it outlives the
control plane.

The control plane gives each app environment a server of its own (see addons.py), so apps use
plain keys and `FLUSHALL` empties their own data only. For a server shared by several
environments, `ensure_user` isolates them by ACL users, not database numbers (`SELECT 3` is open
to anyone with the password): a user `<app>_<env>` can touch only keys and channels under
`<app>:<env>:` and no @dangerous command. The ACL file is rendered from our credential store
(read at start); a running server is changed with ACL SETUSER/DELUSER, which leave every other
connection alone.

A process is ours when the pidfile names a live redis-server whose working directory is our data
directory (redis changes into its `dir`).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import psutil
import redis
from redis.exceptions import RedisError

from launchdeck.drivers.local import daemons
from launchdeck.drivers.local.addon_errors import (
    AddonNotInstalled,
    AddonQueryFailed,
    AddonStartFailed,
    InvalidAddonInput,
)
from launchdeck.drivers.local.credential_store import CredentialStore, environment_key
from launchdeck.drivers.local.redis.client import RedisClient
from launchdeck.system import SYSTEM_CLOCK, Clock, Command, Runner, atomic_write, wait_until
from launchdeck.system.addon_errors import AddonError

T = TypeVar("T")
PACKAGE = "redis-server"
ADMIN = "default"
# what redis logs just before it exits at startup (the daemon reports nowhere else)
_FATAL = ("Could not create server TCP listening socket", "Failed listening on port",
          "Fatal error", "FATAL", "Aborting")  # fmt: skip
_VERSION = re.compile(r"v=(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class RedisPaths:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "redis.conf"

    @property
    def acl(self) -> Path:
        return self.root / "users.acl"

    @property
    def data(self) -> Path:  # the AOF lives here
        return self.root / "data"

    @property
    def pidfile(self) -> Path:
        return self.root / "redis.pid"

    @property
    def log(self) -> Path:
        return self.root / "redis.log"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"


@dataclass(frozen=True)
class RedisCredentials:
    """One app environment's ACL user; its keys must start with `key_prefix`."""

    user: str
    key_prefix: str
    password: str = field(repr=False)


def find_redis(
    version: str | None = None, *, binary: str = "redis-server", runner: Runner | None = None
) -> str:
    found = shutil.which(binary)
    if found is None:
        raise AddonNotInstalled(f"Redis is not installed (no {binary} on PATH)", PACKAGE)
    if version is not None:
        output = (runner or Runner()).run(Command((found, "--version"), timeout=10.0)).output
        match = _VERSION.search(output)
        have = match.group(1) if match else "?"
        if version.split(".")[0] != have:
            raise InvalidAddonInput(
                f"redis version {version!r} is not available: {found} is "
                f"{'.'.join(match.groups()) if match else 'unknown'}",
                f"ask for version {have!r}",
            )
    return found


def render_config(paths: RedisPaths, port: int, admin_password: str) -> str:
    return "\n".join([
        "# written by launchdeck before every start; edits here are overwritten",
        "bind 127.0.0.1",
        f"port {port}",
        "protected-mode yes",
        "daemonize yes",
        "supervised no",
        f"pidfile {_q(paths.pidfile)}",
        f"logfile {_q(paths.log)}",
        f"dir {_q(paths.data)}",
        f"requirepass {_q(admin_password)}",  # the ACL file says the same for `default`
        f"aclfile {_q(paths.acl)}",
        "appendonly yes",
        "appendfsync everysec",
        'save ""',  # the AOF is the persistence; no RDB snapshots besides it
        "",
    ])  # fmt: skip


def acl_rules(user: str, password: str) -> tuple[str, ...]:
    """`default` (the control plane) may do anything; each environment only its own keys."""
    secret = "#" + hashlib.sha256(password.encode()).hexdigest()
    if user == ADMIN:
        return ("on", secret, "~*", "&*", "+@all")
    prefix = key_prefix(user)
    return ("on", secret, f"~{prefix}*", f"&{prefix}*", "+@all", "-@dangerous")


def render_acl(passwords: Mapping[str, str]) -> str:
    users = sorted(passwords, key=lambda user: (user != ADMIN, user))
    return "".join(f"user {u} {' '.join(acl_rules(u, passwords[u]))}\n" for u in users)


def key_prefix(user: str) -> str:
    app, env = user.split("_", 1)
    return f"{app}:{env}:"


def _q(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


class RedisServer:
    def __init__(
        self,
        root: Path,
        *,
        port: int,
        binary: str | None = None,
        runner: Runner | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.paths = RedisPaths(root)
        self.port = port
        self.binary = binary or find_redis()
        self.runner = runner or Runner()
        self.clock = clock
        self.credentials = CredentialStore(self.paths.secrets)

    def __repr__(self) -> str:
        return f"RedisServer({self.paths.root}, port={self.port})"

    # -- running -----------------------------------------------------------------------------

    def ensure_running(self, *, timeout: float = 10.0) -> int:
        pid = self.pid()
        return pid if pid is not None else self.start(timeout=timeout)

    def start(self, *, timeout: float = 10.0) -> int:
        self._write_files()
        if self.pid() is None:
            self.paths.pidfile.unlink(missing_ok=True)
        log_start = self.paths.log.stat().st_size if self.paths.log.exists() else 0
        result = self.runner.run(Command((self.binary, str(self.paths.config)), timeout=30.0),
                                 check=False)  # fmt: skip
        pid = self._await_ready(timeout, log_start) if result.ok else None
        if pid is None:
            log = self.log_tail(since=log_start)
            taken = "Address already in use" in log
            hint = (f"is another program using port {self.port}? fix: give Redis a free port; "
                    if taken else "")  # fmt: skip
            raise AddonStartFailed(
                f"redis-server on 127.0.0.1:{self.port} did not start (exit "
                f"{result.returncode}); {hint}log {self.paths.log}:\n{log or result.output}"
            )
        return pid

    def _write_files(self) -> None:
        for directory in (self.paths.root, self.paths.data):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
        admin = self.credentials.get_or_create(ADMIN)
        atomic_write(self.paths.config, render_config(self.paths, self.port, admin), mode=0o600)
        self._write_acl()

    def _write_acl(self) -> None:
        self.credentials.get_or_create(ADMIN)
        found = {name: self.credentials.get(name) for name in self.credentials.names()}
        passwords = {name: password for name, password in found.items() if password}
        atomic_write(self.paths.acl, render_acl(passwords), mode=0o600)

    def _await_ready(self, timeout: float, log_start: int) -> int | None:
        """The daemonizing parent exits first; then the AOF loads (`-LOADING`) before PONG.
        A daemon that fails (a taken port) says so in its log only, then exits."""
        ready: int | None = None

        def settled() -> bool:  # ready, or failed for good
            nonlocal ready
            pid = self.pid()
            if pid is not None and self._pong():
                ready = pid
                return True
            return pid is None and any(m in self.log_tail(since=log_start) for m in _FATAL)

        wait_until(settled, timeout=timeout, interval=0.02, clock=self.clock)
        return ready

    def _pong(self) -> bool:
        try:
            with self.client() as client:
                return client.ping()
        except AddonQueryFailed:  # refused, or still loading its AOF
            return False

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM (redis fsyncs the AOF and exits), SIGKILL after `timeout`."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(psutil.Error):
                daemons.terminate([psutil.Process(pid)], timeout, clock=self.clock)

    def pid(self) -> int | None:
        try:
            pid = int(self.paths.pidfile.read_text().strip())
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE or "redis" not in proc.name():
                return None
            return pid if Path(proc.cwd()) == self.paths.data.resolve() else None
        except (OSError, ValueError, psutil.Error):
            return None

    def alive(self) -> bool:
        return self.pid() is not None

    def log_tail(self, lines: int = 15, *, since: int = 0) -> str:
        """The last `lines` of the server log, of what was written after offset `since`."""
        try:
            with self.paths.log.open("rb") as fh:
                fh.seek(since)
                text = fh.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    # -- users -------------------------------------------------------------------------------

    def client(self, creds: RedisCredentials | None = None) -> RedisClient:
        """A connection as `creds`' user, or as the control plane (`default`)."""
        if creds is None:
            password = self.credentials.get_or_create(ADMIN)
            return RedisClient("127.0.0.1", self.port, password=password)
        return RedisClient("127.0.0.1", self.port, user=creds.user, password=creds.password)

    def ask(self, query: Callable[[redis.Redis], T], *, timeout: float) -> T | None:
        """`query` on a connection as the control plane, for figures that can wait for the next
        pass: None, never an exception, when the server is down, slow or refuses."""
        password = self.credentials.get(ADMIN)
        if password is None:  # never started: nothing to ask
            return None
        try:
            with RedisClient("127.0.0.1", self.port, password=password,
                             timeout=timeout) as client:  # fmt: skip
                return query(client.redis)
        except (AddonError, RedisError, OSError):
            return None

    def ensure_user(self, app: str, env: str) -> RedisCredentials:
        """The environment's ACL user (idempotent); applied at once when the server runs."""
        user = environment_key(app, env)
        password = self.credentials.get_or_create(user)
        self._apply(lambda client: client.set_user(user, acl_rules(user, password)))
        return RedisCredentials(user=user, key_prefix=key_prefix(user), password=password)

    def drop_user(self, app: str, env: str) -> None:
        """Remove the user and close its connections; its keys stay."""
        user = environment_key(app, env)
        self.credentials.forget(user)
        self._apply(lambda client: client.delete_user(user))

    def _apply(self, change: Callable[[RedisClient], None]) -> None:
        """Change the running server user by user (ACL LOAD would drop every client of every
        user), and the ACL file it reads at its next start."""
        self._write_acl()
        if self.alive():
            with self.client() as client:
                change(client)

    def redis_url(self, creds: RedisCredentials | None = None) -> str:
        """REDIS_URL for an environment's user, or the control plane's when `creds` is None."""
        user, password = (
            (ADMIN, self.credentials.get_or_create(ADMIN))
            if creds is None
            else (creds.user, creds.password)
        )
        return f"redis://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}/0"
