"""The router's desired state as frozen data, its JSON record, and the HAProxy files rendered
from it. Pure: no sockets, no processes; the same state always renders the same text.

Each backend is rendered with a fixed set of static server lines (slots `s1`..`sN`); a server
occupies a slot, and a free slot waits in maintenance on a placeholder address. Adding a server
points a free slot at it through the runtime API. Servers created at runtime with `add server`
are no use to us: HAProxy 2.6 never keeps their connections alive (one TCP connect per request,
a tenth of the throughput), whereas static servers reuse theirs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, cast

from launchdeck.domain.models import HealthCheck
from launchdeck.drivers.local.router.errors import InvalidRouterInput

ServerState = Literal["ready", "drain", "maint"]
SERVER_STATES: tuple[ServerState, ...] = ("ready", "drain", "maint")
STATE_VERSION = 2
MIN_SLOTS = 8
PLACEHOLDER_PORT = 1  # where a free slot points; it is in maintenance and never checked
NO_APP_BACKEND = "_no_app"  # callers' names start with a letter or digit, so this never clashes

# HAProxy proxy and server names allow letters, digits, '-', '_', '.', ':'.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
_HOST_RE = re.compile(r"^(?!.*\.\.)[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_])?$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")
_UNSAFE_ROOT = re.compile(r"[\s\"'#,\\$]")
_SOCKET_PATH_MAX = 97  # HAProxy 2.6 keeps room in sun_path for "<path>.<pid>.tmp"


MAX_WEIGHT = 256  # HAProxy's


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    state: ServerState = "ready"
    weight: int = 1  # its share of the backend's requests against the others' (a canary's split)


@dataclass(frozen=True)
class Backend:
    name: str
    hosts: tuple[str, ...]
    health: HealthCheck | None
    servers: tuple[Server, ...] = ()

    def server(self, name: str) -> Server | None:
        return next((s for s in self.servers if s.name == name), None)

    def with_server(self, server: Server) -> Backend:
        """This backend with `server` added, or replacing the one of the same name in place."""
        if self.server(server.name) is None:
            return replace(self, servers=(*self.servers, server))
        return replace(
            self, servers=tuple(server if s.name == server.name else s for s in self.servers)
        )

    def without_server(self, name: str) -> Backend:
        return replace(self, servers=tuple(s for s in self.servers if s.name != name))


@dataclass(frozen=True)
class SlotTable:
    """A backend's static server slots: `servers[i]` occupies slot `s{i+1}`; None is free."""

    servers: tuple[str | None, ...] = (None,) * MIN_SLOTS

    @property
    def size(self) -> int:
        return len(self.servers)

    def slots(self) -> Iterator[tuple[str, str | None]]:
        """(slot, server or None) for every slot, in order."""
        for index, server in enumerate(self.servers):
            yield f"s{index + 1}", server

    def slot_of(self, server: str) -> str | None:
        return next((slot for slot, name in self.slots() if name == server), None)

    def server_in(self, slot: str) -> str | None:
        index = int(slot[1:]) - 1 if slot[:1] == "s" and slot[1:].isdigit() else -1
        return self.servers[index] if 0 <= index < len(self.servers) else None

    def fitted(self, servers: Sequence[str]) -> SlotTable:
        """Slots of servers no longer listed freed; new ones in the first free slots. When none
        is free the table doubles, which costs a reload: slots are static config lines."""
        wanted = set(servers)
        taken: list[str | None] = []
        for name in self.servers:
            taken.append(name if name in wanted and name not in taken else None)
        for name in servers:
            if name in taken:
                continue
            if None not in taken:
                taken += [None] * max(len(taken), MIN_SLOTS)
            taken[taken.index(None)] = name
        return SlotTable(tuple(taken))


@dataclass(frozen=True)
class RouterState:
    backends: tuple[Backend, ...] = ()
    slot_tables: Mapping[str, SlotTable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every server holds exactly one slot, whatever tables were passed in.
        tables = {
            b.name: self.slots(b.name).fitted([s.name for s in b.servers]) for b in self.backends
        }
        object.__setattr__(self, "slot_tables", tables)

    def backend(self, name: str) -> Backend | None:
        return next((b for b in self.backends if b.name == name), None)

    def slots(self, backend: str) -> SlotTable:
        return self.slot_tables.get(backend, SlotTable())

    def with_backend(self, backend: Backend) -> RouterState:
        others = [b for b in self.backends if b.name != backend.name]
        backends = tuple(sorted([*others, backend], key=lambda b: b.name))
        return RouterState(backends, self.slot_tables)

    def without_backend(self, name: str) -> RouterState:
        return RouterState(tuple(b for b in self.backends if b.name != name), self.slot_tables)


@dataclass(frozen=True)
class RouterPaths:
    """Every file the router owns, all under one root directory."""

    root: Path

    @property
    def state(self) -> Path:
        return self.root / "router.json"

    @property
    def config(self) -> Path:
        return self.root / "haproxy.cfg"

    @property
    def candidate(self) -> Path:
        return self.root / "haproxy.cfg.next"

    @property
    def hosts_map(self) -> Path:
        return self.root / "hosts.map"

    @property
    def pidfile(self) -> Path:
        return self.root / "haproxy.pid"

    @property
    def master_socket(self) -> Path:
        return self.root / "master.sock"

    @property
    def admin_socket(self) -> Path:
        return self.root / "admin.sock"

    @property
    def lock(self) -> Path:
        return self.root / "router.lock"

    @property
    def request_log(self) -> Path:
        return self.root / "requests.sock"

    def validate(self) -> None:
        root = str(self.root)
        if not self.root.is_absolute() or _UNSAFE_ROOT.search(root):
            raise InvalidRouterInput(
                f"router root: should be an absolute path without spaces, quotes, '#', ',', "
                f"'\\' or '$' (got {root!r})"
            )
        longest = max(len(str(self.master_socket).encode()), len(str(self.admin_socket).encode()))
        if longest > _SOCKET_PATH_MAX:
            limit = _SOCKET_PATH_MAX - len("/master.sock")
            raise InvalidRouterInput(
                f"router root: {len(root.encode())} bytes is too long for HAProxy's unix sockets "
                f"(at most {limit}): use a shorter LAUNCHDECK_HOME (got {root!r})"
            )


# -- validation ------------------------------------------------------------------------------


def validate_name(what: str, name: str) -> None:
    if not _NAME_RE.fullmatch(name):
        raise InvalidRouterInput(
            f"{what}: should be 1-100 letters, digits, '-', '_', '.' or ':' starting with a "
            f"letter or digit (got {name!r})"
        )


def validate_port(what: str, port: int) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidRouterInput(f"{what}: should be a port number 1-65535 (got {port!r})")


def normalize_host(host: str) -> str:
    """`Shop-Staging.localhost:8080` -> `shop-staging.localhost`, as the frontend looks it up."""
    name = host.strip().lower().split(":", 1)[0]
    if not _HOST_RE.fullmatch(name):
        raise InvalidRouterInput(f"hosts: {host!r} is not a valid host name")
    return name


def validate_health(where: str, health: HealthCheck) -> None:
    if not _PATH_RE.fullmatch(health.path):
        raise InvalidRouterInput(
            f"{where}.health.path: should start with '/' and contain no spaces or quotes "
            f"(got {health.path!r})"
        )
    for attr in ("interval", "timeout"):
        value = getattr(health, attr)
        if not value > 0:
            raise InvalidRouterInput(f"{where}.health.{attr}: should be > 0 (got {value!r})")
    for attr in ("healthy", "unhealthy"):
        value = getattr(health, attr)
        if not (isinstance(value, int) and value >= 1):
            raise InvalidRouterInput(f"{where}.health.{attr}: should be >= 1 (got {value!r})")


def validated_backend(backend: Backend) -> Backend:
    """The backend with its hosts normalized, or InvalidRouterInput saying what is wrong."""
    validate_name("backend name", backend.name)
    hosts = tuple(dict.fromkeys(normalize_host(h) for h in backend.hosts))
    if backend.health is not None:
        validate_health(f"backends.{backend.name}", backend.health)
    for server in backend.servers:
        validate_server(backend.name, server)
    return replace(backend, hosts=hosts)


def validate_server(backend: str, server: Server) -> None:
    validate_name(f"backends.{backend}.servers: name", server.name)
    validate_port(f"backends.{backend}.servers.{server.name}.port", server.port)
    if server.state not in SERVER_STATES:
        raise InvalidRouterInput(
            f"backends.{backend}.servers.{server.name}.state: should be one of "
            f"{', '.join(SERVER_STATES)} (got {server.state!r})"
        )


def check_host_conflicts(state: RouterState) -> None:
    owner: dict[str, str] = {}
    for backend in state.backends:
        for host in backend.hosts:
            if host in owner:
                raise InvalidRouterInput(
                    f"backends.{backend.name}.hosts: {host!r} already routes to backend "
                    f"{owner[host]!r}; remove it there first"
                )
            owner[host] = backend.name


# -- rendering -------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


def server_params(health: HealthCheck | None) -> tuple[str, ...]:
    """The check keywords of every slot, free ones too: `enable health` needs `check`."""
    if health is None:
        return ()
    return (
        "check",
        "inter", duration(health.interval),
        "fall", str(health.unhealthy),
        "rise", str(health.healthy),
    )  # fmt: skip


def slot_line(slot: str, server: Server | None, health: HealthCheck | None) -> str:
    """`server s3 127.0.0.1:5002 check ...  # shop-web-ab12cd`, or a free slot in maintenance."""
    port = server.port if server is not None else PLACEHOLDER_PORT
    words = ["server", slot, f"127.0.0.1:{port}", *server_params(health)]
    if server is None:
        return " ".join([*words, "disabled"])
    if server.state == "drain":
        words += ["weight", "0"]  # no new requests from the first instant after a reload
    elif server.state == "maint":
        words.append("disabled")
    elif server.weight != 1:
        words += ["weight", str(server.weight)]
    return " ".join(words) + f"  # {server.name}"


_SLOT_LINE = re.compile(
    r"^(    server s\d+ 127\.0\.0\.1:)\d+((?: check| inter \d+ms| fall \d+| rise \d+)*)"
    r"(?: weight \d+| disabled)?(?:  # .*)?$",
    re.MULTILINE,
)


def config_shape(config: str) -> str:
    """`config` with every slot line's port, state and server name taken out. Two configs of
    one shape differ only in values slot_line renders from validated input, so once one of
    them passed `haproxy -c` the others need not be checked again."""
    return _SLOT_LINE.sub(r"\g<1>1\g<2>", config)


def _backend_lines(backend: Backend, slots: SlotTable) -> Iterable[str]:
    yield f"backend {backend.name}"
    yield "    balance roundrobin"
    if backend.health is not None:
        health = backend.health
        yield "    option httpchk"
        yield f"    http-check send meth GET uri {health.path} ver HTTP/1.1 hdr Host localhost"
        yield "    http-check expect status 200-399"
        yield f"    timeout check {duration(health.timeout)}"
    for slot, name in slots.slots():
        server = backend.server(name) if name is not None else None
        yield f"    {slot_line(slot, server, backend.health)}"


def router_threads(cpus: int | None) -> int:
    """HAProxy threads for a host with `cpus` cores. One thread proxies tens of thousands of
    requests a second; on a small host more threads only take cores from the apps."""
    return max(1, (cpus or 1) // 4)


def render_config(
    state: RouterState,
    paths: RouterPaths,
    *,
    http_port: int,
    bind: str,
    threads: int = 1,
    request_log: bool = False,
) -> str:
    host_key = "req.hdr(host),lower,word(1,:)"
    head = f"""\
# Written by launchdeck from {paths.state.name}; edits here are overwritten.
global
    nbthread {threads}
    stats socket {paths.admin_socket} mode 600 level admin expose-fd listeners
    stats timeout 30s
    hard-stop-after 30s
{_request_log(paths) if request_log else ""}
defaults
    mode http
{REQUEST_LOG_DEFAULTS if request_log else ""}\
    option redispatch 1
    retries 3
    retry-on conn-failure empty-response response-timeout 503
    option idle-close-on-response
    option forwardfor
    http-reuse safe
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s

frontend http
    bind {bind}:{http_port}
    use_backend %[{host_key},map({paths.hosts_map})]
    default_backend {NO_APP_BACKEND}

backend {NO_APP_BACKEND}
    http-request return status 404 content-type text/plain lf-string "no app is deployed at %[{host_key}]\\n"
"""  # noqa: E501
    blocks = ["\n".join(_backend_lines(b, state.slots(b.name))) + "\n" for b in state.backends]
    return "\n".join([head, *blocks])


# every request, one line: backend, server address and port, status, bytes, active and server ms
LOG_FORMAT = "%b %si %sp %ST %B %Ta %Tr"
LOG_LINE_MAX = 1024
RING_SIZE = 4 * 1024 * 1024  # bytes HAProxy holds for the reader: ~80k lines
REQUEST_LOG_DEFAULTS = f"""\
    log global
    log-format "{LOG_FORMAT}"
"""


def _request_log(paths: RouterPaths) -> str:
    """One line per request into a ring that HAProxy forwards to the control plane's socket
    (requestlog.py); the ring holds lines while nobody listens."""
    return f"""\
    log ring@requests len {LOG_LINE_MAX} format raw local0 info

ring requests
    format raw
    maxlen {LOG_LINE_MAX}
    size {RING_SIZE}
    timeout connect 1s
    timeout server 10s
    server launchdeck unix@{paths.request_log} log-proto octet-count
"""


def render_hosts_map(state: RouterState) -> str:
    lines = [f"{host} {backend.name}" for backend in state.backends for host in backend.hosts]
    return "".join(f"{line}\n" for line in sorted(lines))


# -- the JSON record -------------------------------------------------------------------------


def state_to_json(state: RouterState) -> str:
    doc = {
        "version": STATE_VERSION,
        "backends": [
            {
                "name": b.name,
                "hosts": list(b.hosts),
                "health": asdict(b.health) if b.health is not None else None,
                "servers": [asdict(s) for s in b.servers],
                "slots": list(state.slots(b.name).servers),
            }
            for b in state.backends
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def state_from_json(text: str) -> RouterState:
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("version") != STATE_VERSION:
        raise InvalidRouterInput(f"router state: unsupported format (want version {STATE_VERSION})")
    docs = doc.get("backends", [])
    tables = {
        str(b["name"]): SlotTable(tuple(None if s is None else str(s) for s in b["slots"]))
        for b in docs
    }
    return RouterState(tuple(_backend_from(b) for b in docs), tables)


def _backend_from(doc: dict[str, Any]) -> Backend:
    health_doc = doc.get("health")
    known = {f.name for f in fields(HealthCheck)}
    health = (
        HealthCheck(**{k: v for k, v in health_doc.items() if k in known})
        if isinstance(health_doc, dict)
        else None
    )
    servers = tuple(
        Server(
            name=str(s["name"]),
            port=int(s["port"]),
            state=cast(ServerState, s["state"]),
            weight=int(s.get("weight", 1)),
        )
        for s in doc.get("servers", [])
    )
    return Backend(
        name=str(doc["name"]), hosts=tuple(doc.get("hosts", [])), health=health, servers=servers
    )
