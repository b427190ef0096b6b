"""HAProxy's runtime API over its unix sockets: one command per connection, text back, a typed
error for an error reply.

`MasterCli` talks to the master socket (`-S`): process list and reloads. `RuntimeApi` talks to a
worker; through the master it prefixes `@1`, which always means the current worker, so a command
sent just after a reload can never land on the old worker that is finishing its sessions.
"""

from __future__ import annotations

import csv
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from launchdeck.drivers.local.router.errors import (
    ApiUnavailable,
    NoSuchBackend,
    NoSuchServer,
    RuntimeApiError,
)
from launchdeck.system import SYSTEM_CLOCK, Clock, wait_until

_ERRORS: tuple[tuple[str, type[RuntimeApiError]], ...] = (
    ("No such server", NoSuchServer),
    ("No such backend", NoSuchBackend),
    ("Unknown command", RuntimeApiError),
    ("Can't find the target PID", RuntimeApiError),
    ("Permission denied", RuntimeApiError),
    ("Require ", RuntimeApiError),
)


class Transport(Protocol):
    def send(self, line: str) -> str: ...


class UnixSocketTransport:
    """Connects, sends one line, reads until HAProxy closes. Retries only the connect, which
    is refused for a few milliseconds while the master re-executes itself on a reload."""

    def __init__(
        self,
        path: Path,
        *,
        timeout: float = 5.0,
        connect_timeout: float = 3.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.clock = clock

    def send(self, line: str) -> str:
        sock = self._connect(line)
        chunks: list[bytes] = []
        with sock:
            try:
                sock.sendall(line.encode() + b"\n")
                sock.shutdown(socket.SHUT_WR)
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            except OSError as exc:  # reset by a master re-executing itself, or a timeout
                raise ApiUnavailable(line, f"{self.path}: {exc}") from None
        return b"".join(chunks).decode(errors="replace")

    def _connect(self, line: str) -> socket.socket:
        connected: socket.socket | None = None
        refused: OSError | None = None

        def accepted() -> bool:
            nonlocal connected, refused
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(str(self.path))
            except (ConnectionRefusedError, FileNotFoundError) as exc:
                sock.close()
                refused = exc
                return False
            except OSError as exc:
                sock.close()
                raise ApiUnavailable(line, f"{self.path}: {exc}") from None
            connected = sock
            return True

        if not wait_until(accepted, timeout=self.connect_timeout, interval=0.02, clock=self.clock):
            raise ApiUnavailable(line, f"nothing answers on {self.path}: {refused}")
        assert connected is not None
        return connected


def raise_for_reply(command: str, reply: str) -> None:
    text = reply.strip()
    for prefix, error in _ERRORS:
        if text.startswith(prefix):
            raise error(command, text)


@dataclass(frozen=True)
class ServerStat:
    backend: str
    name: str
    status: str  # UP | DOWN | DRAIN | MAINT, normalized from HAProxy's wording
    sessions: int  # scur
    weight: int
    raw_status: str
    connects: int = 0  # new connections to the server ...
    reuses: int = 0  # ... and requests sent over an idle one


def normalize_status(raw: str) -> str:
    """`UP 1/3` (going down) -> UP, `MAINT (via b/s)` -> MAINT, `no check` -> UP, NOLB -> DRAIN."""
    word = raw.strip().split(" ", 1)[0].upper()
    if raw.strip().lower() == "no check":
        return "UP"
    return {"NOLB": "DRAIN", "MAINT(RESOLUTION)": "MAINT"}.get(word, word)


def parse_stat(csv_text: str) -> list[ServerStat]:
    lines = [ln for ln in csv_text.splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("# "):
        return []
    header, *rows = csv.reader([lines[0][2:], *lines[1:]])
    at = {name: i for i, name in enumerate(header)}  # ~100 columns: read only these
    px, sv, st, scur, weight = (at[k] for k in ("pxname", "svname", "status", "scur", "weight"))
    connect, reuse = at.get("connect"), at.get("reuse")

    def number(row: list[str], i: int | None) -> int:
        return int(row[i] or 0) if i is not None and i < len(row) else 0

    return [
        ServerStat(
            backend=row[px],
            name=row[sv],
            status=normalize_status(row[st]),
            sessions=number(row, scur),
            weight=number(row, weight),
            raw_status=row[st],
            connects=number(row, connect),
            reuses=number(row, reuse),
        )
        for row in rows
        if row[sv] not in ("FRONTEND", "BACKEND")
    ]


class RuntimeApi:
    """The worker's runtime API, one typed method per command the router uses."""

    def __init__(self, transport: Transport, *, prefix: str = "") -> None:
        self.transport = transport
        self.prefix = prefix

    def command(self, command: str) -> str:
        reply = self.transport.send(f"{self.prefix}{command}")
        raise_for_reply(command, reply)
        return reply

    def _expect(self, command: str, success: str = "") -> None:
        reply = self.command(command).strip()
        if reply != success:
            raise RuntimeApiError(command, reply or "(no reply)")

    def stat(self) -> list[ServerStat]:
        """Every server of every backend (filtering by name would read digits as an id)."""
        return parse_stat(self.command("show stat -1 4 -1"))

    def set_address(self, backend: str, name: str, host: str, port: int) -> None:
        command = f"set server {backend}/{name} addr {host} port {port}"
        reply = self.command(command).strip()
        # "IP changed from ..., port changed from ... by 'stats socket command'", or "no need to"
        if not reply.endswith("by 'stats socket command'"):
            raise RuntimeApiError(command, reply or "(no reply)")

    def set_health(self, backend: str, name: str, health: str) -> None:
        self._expect(f"set server {backend}/{name} health {health}")

    def enable_health(self, backend: str, name: str) -> None:
        self._expect(f"enable health {backend}/{name}")

    def disable_health(self, backend: str, name: str) -> None:
        self._expect(f"disable health {backend}/{name}")

    def set_state(self, backend: str, name: str, state: str) -> None:
        self._expect(f"set server {backend}/{name} state {state}")

    def set_weight(self, backend: str, name: str, weight: int) -> None:
        self._expect(f"set server {backend}/{name} weight {weight}")

    def shutdown_sessions(self, backend: str, name: str) -> None:
        self._expect(f"shutdown sessions server {backend}/{name}")

    def pid(self) -> int:
        match = re.search(r"^Pid: (\d+)$", self.command("show info"), re.MULTILINE)
        if match is None:
            raise RuntimeApiError("show info", "no Pid line in the reply")
        return int(match.group(1))


@dataclass(frozen=True)
class Processes:
    master: int
    reloads: int
    failed_reloads: int
    workers: tuple[int, ...]
    old_workers: tuple[int, ...]


_MASTER_RE = re.compile(r"^(\d+)\s+master\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?")
_WORKER_RE = re.compile(r"^(\d+)\s+worker\s")


def parse_processes(text: str) -> Processes:
    master = reloads = failed = 0
    section = ""
    workers: dict[str, list[int]] = {"workers": [], "old workers": []}
    for line in text.splitlines():
        if line.startswith("#"):
            section = line.lstrip("# ").strip()
            continue
        if m := _MASTER_RE.match(line):
            master, reloads, failed = int(m[1]), int(m[2]), int(m[3] or 0)
        elif (m := _WORKER_RE.match(line)) and section in workers:
            workers[section].append(int(m[1]))
    if not master:
        raise RuntimeApiError("show proc", f"unexpected reply: {text.strip()[:200]}")
    return Processes(
        master, reloads, failed, tuple(workers["workers"]), tuple(workers["old workers"])
    )


class MasterCli:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def processes(self) -> Processes:
        reply = self.transport.send("show proc")
        raise_for_reply("show proc", reply)
        return parse_processes(reply)

    def reload(self) -> None:
        """Ask the master to re-execute; in 2.6 it closes the connection without a status."""
        self.transport.send("reload")

    def worker(self, pid: int | None = None) -> RuntimeApi:
        """The current worker, or the (old) worker with this pid."""
        return RuntimeApi(self.transport, prefix="@1 " if pid is None else f"@!{pid} ")
