"""The Router against a real HAProxy and real backend processes on free 127.0.0.1 ports.

Every load is bounded in count and time; every process started here is stopped by pid.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from launchdeck.domain.models import HealthCheck
from launchdeck.drivers.local.router import haproxy as router_module
from launchdeck.drivers.local.router.errors import ConfigInvalid
from launchdeck.drivers.local.router.haproxy import Backend, Router
from launchdeck.drivers.local.router.runtime_api import RuntimeApi, ServerStat, UnixSocketTransport

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("haproxy", path="/usr/sbin:/usr/bin:/usr/local/sbin") is None,
        reason="haproxy is not installed",
    ),
]

HEALTH = HealthCheck(path="/health", interval=0.2, timeout=1.0, healthy=1, unhealthy=2)

# A backend instance: /health answers 200, /sleep?s=N answers after N seconds, /status?c=N
# answers status N, anything else answers the instance's name. Binds port 0 and prints the port it got.
BACKEND_SCRIPT = r"""
import sys, time, http.server
from urllib.parse import urlsplit, parse_qs

name = sys.argv[1]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # head and body in one segment: no Nagle / delayed-ACK 40 ms stalls

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/sleep":
            time.sleep(float(parse_qs(url.query)["s"][0]))
        body = b"ok\n" if url.path == "/health" else name.encode() + b"\n"
        status = int(parse_qs(url.query)["c"][0]) if url.path == "/status" else 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # health checks close with a reset; not worth a traceback

server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Instances:
    """Backend processes by name; killed by pid at teardown."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen[str]] = {}

    def start(self, name: str) -> int:
        proc = subprocess.Popen(
            [sys.executable, "-c", BACKEND_SCRIPT, name],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.procs[name] = proc
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        return port

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)

    def close(self) -> None:
        for name in list(self.procs):
            self.kill(name)


class Load(threading.Thread):
    """Sends up to `count` keep-alive GETs, one after the other, for at most `seconds`."""

    def __init__(self, port: int, host: str, *, count: int = 500, seconds: float = 30.0) -> None:
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}/"
        self.host = host
        self.count = count
        self.seconds = seconds
        self.done = 0
        self.bodies: Counter[str] = Counter()
        self.failures: list[str] = []

    def run(self) -> None:
        deadline = time.monotonic() + self.seconds
        with httpx.Client(timeout=10.0, trust_env=False) as client:
            while self.done < self.count and time.monotonic() < deadline:
                try:
                    response = client.get(self.url, headers={"Host": self.host})
                    if response.status_code == 200:
                        self.bodies[response.text.strip()] += 1
                    else:
                        self.failures.append(f"{response.status_code}: {response.text[:100]}")
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                self.done += 1
                time.sleep(0.003)  # ~500 requests span a couple of seconds

    def wait_for(self, requests: int, timeout: float = 10.0) -> None:
        wait_until(lambda: self.done >= requests, timeout, f"{requests} requests sent")

    def finish(self) -> Load:
        self.join(timeout=self.seconds + 15)
        assert not self.is_alive(), "load did not finish in time"
        return self


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def get(port: int, host: str, path: str = "/") -> httpx.Response:
    with httpx.Client(timeout=10.0, trust_env=False) as client:
        return client.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host})


def server_stats(router: Router, backend: str) -> list[ServerStat]:
    """Every slot of the backend, straight from the worker's admin socket."""
    api = RuntimeApi(UnixSocketTransport(router.paths.admin_socket))
    return [s for s in api.stat() if s.backend == backend]


def listening_inodes(port: int) -> set[str]:
    """Inodes of the sockets listening on `port`: a rebind would show a new one."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes.add(fields[9])
    return inodes


@pytest.fixture
def instances() -> Iterator[Instances]:
    found = Instances()
    yield found
    found.close()


@pytest.fixture
def router(tmp_path: Path) -> Iterator[Router]:
    started = Router(tmp_path / "r", http_port=free_port())
    yield started
    started.stop()


@pytest.fixture
def shop(router: Router, instances: Instances) -> Router:
    """A running router with backend `shop-web` (two healthy instances) at shop.localhost."""
    router.ensure_running()
    router.set_backend(Backend("shop-web", ("shop.localhost",), HEALTH))
    for name in ("shop-web-a", "shop-web-b"):
        router.add_server("shop-web", name, instances.start(name))
    return router


def shop_host(router: Router) -> str:
    return f"shop.localhost:{router.http_port}"


def test_routes_by_host_header_and_answers_404_for_unknown_hosts(
    shop: Router, instances: Instances
) -> None:
    shop.set_backend(Backend("blog-web", ("Blog.localhost",), None))
    shop.add_server("blog-web", "blog-web-a", instances.start("blog-web-a"))

    shop_bodies = {get(shop.http_port, shop_host(shop)).text.strip() for _ in range(6)}
    blog = get(shop.http_port, f"BLOG.localhost:{shop.http_port}")
    missing = get(shop.http_port, "nope.localhost:1234")

    assert shop_bodies == {"shop-web-a", "shop-web-b"}
    assert blog.text.strip() == "blog-web-a"
    assert missing.status_code == 404
    assert missing.text.strip() == "no app is deployed at nope.localhost"
    assert shop.live_servers("shop-web") == {"shop-web-a": "UP", "shop-web-b": "UP"}


def test_added_server_takes_traffic_and_is_recorded(shop: Router, instances: Instances) -> None:
    shop.add_server("shop-web", "shop-web-c", instances.start("shop-web-c"))

    bodies = Counter(get(shop.http_port, shop_host(shop)).text.strip() for _ in range(9))

    assert bodies == {"shop-web-a": 3, "shop-web-b": 3, "shop-web-c": 3}
    config = shop.paths.config.read_text()
    assert re.search(
        r"server s3 127\.0\.0\.1:\d+ check inter 200ms fall 2 rise 1  # shop-web-c\n", config
    )
    # A Router on the same root (a restarted control plane) sees the same record.
    again = Router(shop.paths.root, http_port=shop.http_port)
    assert again.backends() == shop.backends()
    assert again.is_running() and again.pid() == shop.pid()
    assert again.ensure_running() is False


def test_runtime_added_server_keeps_its_connections_alive(
    router: Router, instances: Instances
) -> None:
    # Servers created with `add server` in HAProxy 2.6 connect once per request (a tenth of
    # the throughput); the static slots we re-point must reuse their connections.
    router.ensure_running()
    router.set_backend(Backend("shop-web", ("shop.localhost",), HEALTH))
    router.add_server("shop-web", "shop-web-a", instances.start("shop-web-a"))

    load = Load(router.http_port, shop_host(router), count=300)
    load.start()
    load.finish()

    assert load.failures == []
    assert load.bodies == {"shop-web-a": 300}
    (used,) = [s for s in server_stats(router, "shop-web") if s.connects or s.reuses]
    assert used.connects + used.reuses >= 300
    assert used.connects <= 10, f"{used.connects} connections for 300 requests: no reuse"


def test_a_freed_slot_routes_to_the_next_server_only(shop: Router, instances: Instances) -> None:
    shop.remove_server("shop-web", "shop-web-a")
    free = [s for s in server_stats(shop, "shop-web") if s.name != "s2"]
    assert {s.status for s in free} == {"MAINT"}
    assert "  # shop-web-a" not in shop.paths.config.read_text()

    shop.add_server("shop-web", "shop-web-c", instances.start("shop-web-c"))

    assert "server s1 127.0.0.1:" in shop.paths.config.read_text().split("# shop-web-c")[0]
    assert shop.live_servers("shop-web") == {"shop-web-c": "UP", "shop-web-b": "UP"}
    bodies = Counter(get(shop.http_port, shop_host(shop)).text.strip() for _ in range(8))
    assert bodies == {"shop-web-b": 4, "shop-web-c": 4}


def test_a_full_backend_gets_more_slots_with_a_reload(shop: Router, instances: Instances) -> None:
    port = instances.start("shop-web-x")
    workers = psutil.Process(shop.pid()).children()
    for n in range(6):
        shop.add_server("shop-web", f"shop-web-x{n}", port)  # slots 3-8: no reload
    assert psutil.Process(shop.pid()).children() == workers

    shop.add_server("shop-web", "shop-web-x6", port)

    assert psutil.Process(shop.pid()).children() != workers
    assert len(server_stats(shop, "shop-web")) == 16
    assert set(shop.live_servers("shop-web").values()) == {"UP"}
    assert len(shop.live_servers("shop-web")) == 9
    assert get(shop.http_port, shop_host(shop)).status_code == 200


def test_drain_then_remove_under_keep_alive_load_drops_nothing(shop: Router) -> None:
    load = Load(shop.http_port, shop_host(shop))
    load.start()
    load.wait_for(100)

    shop.drain_server("shop-web", "shop-web-a")
    assert shop.live_servers("shop-web")["shop-web-a"] == "DRAIN"
    load.wait_for(load.done + 50)
    shop.remove_server("shop-web", "shop-web-a", timeout=5.0)
    assert load.done < load.count, "the load ended before the server was removed"

    load.finish()
    assert load.failures == []
    assert load.done == 500
    assert shop.live_servers("shop-web") == {"shop-web-b": "UP"}
    assert [s.name for s in shop.backends()[0].servers] == ["shop-web-b"]
    assert "shop-web-a" not in shop.paths.config.read_text()


def test_reload_while_traffic_flows_is_hitless(shop: Router, instances: Instances) -> None:
    inodes = listening_inodes(shop.http_port)
    worker = psutil.Process(shop.pid()).children()
    load = Load(shop.http_port, shop_host(shop))
    load.start()
    load.wait_for(100)

    shop.set_backend(Backend("blog-web", ("blog.localhost",), HEALTH))
    shop.add_server("blog-web", "blog-web-a", instances.start("blog-web-a"))
    assert load.done < load.count, "the load ended before the reload"

    load.finish()
    assert load.failures == []
    assert load.done == 500
    # The new worker took over the very same listening socket (passed over, not rebound).
    assert listening_inodes(shop.http_port) == inodes
    assert psutil.Process(shop.pid()).children() != worker
    assert get(shop.http_port, "blog.localhost").text.strip() == "blog-web-a"


def test_set_backend_without_changes_does_not_reload(shop: Router) -> None:
    workers = [p.pid for p in psutil.Process(shop.pid()).children()]

    shop.set_backend(Backend("shop-web", ("shop.localhost",), HEALTH))

    assert [p.pid for p in psutil.Process(shop.pid()).children()] == workers


def test_killed_instance_under_load_drops_nothing(shop: Router, instances: Instances) -> None:
    load = Load(shop.http_port, shop_host(shop))
    load.start()
    load.wait_for(100)

    instances.kill("shop-web-a")
    wait_until(lambda: shop.live_servers("shop-web")["shop-web-a"] == "DOWN", 5.0, "DOWN")
    assert load.done < load.count, "the load ended before the instance was marked down"

    load.finish()
    assert load.failures == []
    assert load.done == 500
    assert load.bodies["shop-web-b"] > load.bodies["shop-web-a"]


def test_killed_master_is_restarted_with_every_recorded_server(
    shop: Router, instances: Instances
) -> None:
    shop.add_server("shop-web", "shop-web-c", instances.start("shop-web-c"))
    shop.drain_server("shop-web", "shop-web-b")
    master = shop.pid()
    assert master is not None

    os.kill(master, signal.SIGKILL)
    wait_until(lambda: not shop.is_running(), 5.0, "the master to be gone")
    assert shop.pid() is None

    assert shop.ensure_running() is True
    assert shop.pid() not in (None, master)
    assert shop.live_servers("shop-web") == {
        "shop-web-a": "UP",
        "shop-web-b": "DRAIN",
        "shop-web-c": "UP",
    }
    bodies = Counter(get(shop.http_port, shop_host(shop)).text.strip() for _ in range(10))
    assert bodies == {"shop-web-a": 5, "shop-web-c": 5}


def test_restart_copes_with_an_orphan_worker_holding_the_port(shop: Router) -> None:
    master = psutil.Process(shop.pid())
    (orphan,) = master.children()
    orphan.suspend()  # a worker that has not noticed its master died yet
    try:
        master.kill()
        wait_until(lambda: not shop.is_running(), 5.0, "the master to be gone")

        assert shop.ensure_running() is True
    finally:
        orphan.resume()
    wait_until(
        lambda: not orphan.is_running() or orphan.status() == psutil.STATUS_ZOMBIE,
        10.0,
        "the orphan to exit",
    )
    assert get(shop.http_port, shop_host(shop)).status_code == 200


def test_bad_config_is_rejected_and_the_running_one_kept(
    shop: Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = shop.paths.config.read_text()
    hosts = shop.paths.hosts_map.read_text()
    before = (shop.pid(), shop.backends(), psutil.Process(shop.pid()).children())

    def broken(*args: object, **kwargs: object) -> str:
        return config + "\nbackend broken\n    balance no-such-algorithm\n"

    monkeypatch.setattr(router_module, "render_config", broken)
    with pytest.raises(ConfigInvalid) as caught:
        shop.set_backend(Backend("blog-web", ("blog.localhost",), None))

    assert "haproxy rejected the rendered config" in str(caught.value)
    assert "balance only supports" in str(caught.value)
    assert shop.paths.config.read_text() == config
    assert shop.paths.hosts_map.read_text() == hosts
    assert not shop.paths.candidate.exists()
    assert (shop.pid(), shop.backends(), psutil.Process(shop.pid()).children()) == before
    assert get(shop.http_port, shop_host(shop)).status_code == 200


def test_remove_server_cuts_sessions_left_after_the_timeout(shop: Router) -> None:
    outcome: list[str] = []

    def slow_request() -> None:
        try:
            response = get(shop.http_port, shop_host(shop), "/sleep?s=1")
            outcome.append(f"{response.status_code} {response.text.strip()}")
        except httpx.HTTPError as exc:
            outcome.append(repr(exc))

    slow = threading.Thread(target=slow_request, daemon=True)
    slow.start()
    wait_until(
        lambda: sum(shop.sessions("shop-web", n) for n in ("shop-web-a", "shop-web-b")) == 1,
        5.0,
        "the slow request to be in flight",
    )
    busy = next(n for n in ("shop-web-a", "shop-web-b") if shop.sessions("shop-web", n) == 1)

    other = ({"shop-web-a", "shop-web-b"} - {busy}).pop()
    started = time.monotonic()
    shop.remove_server("shop-web", busy, timeout=0.3)

    assert time.monotonic() - started < 3.0
    assert shop.live_servers("shop-web") == {other: "UP"}
    slow.join(timeout=10)
    # The cut request is not lost: HAProxy retries it on the instance that is left.
    assert outcome == [f"200 {other}"]


def test_removing_a_server_that_is_already_gone_is_fine(shop: Router) -> None:
    shop.remove_server("shop-web", "shop-web-a")
    shop.remove_server("shop-web", "shop-web-a")
    shop.remove_server("no-such-backend", "shop-web-a")

    assert shop.live_servers("shop-web") == {"shop-web-b": "UP"}


def test_changes_while_stopped_are_applied_at_start(router: Router, instances: Instances) -> None:
    router.set_backend(Backend("shop-web", ("shop.localhost",), HEALTH))
    router.add_server("shop-web", "shop-web-a", instances.start("shop-web-a"))
    assert not router.is_running()

    assert router.ensure_running() is True

    assert get(router.http_port, shop_host(router)).text.strip() == "shop-web-a"
    master = psutil.Process(router.pid())
    processes = [master, *master.children()]
    router.stop()
    assert not router.is_running()
    assert all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in processes), (
        "stop() left a haproxy process behind"
    )


def test_sessions_held_by_an_old_worker_after_a_reload_are_waited_for(shop: Router) -> None:
    outcome: list[str] = []

    def slow_request() -> None:
        response = get(shop.http_port, shop_host(shop), "/sleep?s=1.5")
        outcome.append(f"{response.status_code} {response.text.strip()}")

    slow = threading.Thread(target=slow_request, daemon=True)
    slow.start()
    wait_until(
        lambda: sum(shop.sessions("shop-web", n) for n in ("shop-web-a", "shop-web-b")) == 1,
        5.0,
        "the slow request to be in flight",
    )
    busy = next(n for n in ("shop-web-a", "shop-web-b") if shop.sessions("shop-web", n) == 1)

    shop.set_backend(Backend("blog-web", ("blog.localhost",), None))  # reload: new worker
    assert shop.sessions("shop-web", busy) == 1  # still counted: the old worker holds it
    shop.remove_server("shop-web", busy, timeout=10.0)

    slow.join(timeout=10)
    assert outcome == [f"200 {busy}"]
