from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from tests.clock import ManualClock

from launchdeck.drivers.local.router.errors import (
    ApiUnavailable,
    NoSuchBackend,
    NoSuchServer,
    RuntimeApiError,
)
from launchdeck.drivers.local.router.runtime_api import (
    MasterCli,
    Processes,
    RuntimeApi,
    UnixSocketTransport,
    normalize_status,
    parse_stat,
)


class ScriptedTransport:
    """Answers each command line from a script and records what was sent."""

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies = replies
        self.sent: list[str] = []

    def send(self, line: str) -> str:
        self.sent.append(line)
        return self.replies.get(line, "")


HEADER = (
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
    "wretr,wredis,status,weight,connect,reuse\n"
)
STAT = (
    HEADER
    + "shop-web,shop-web-a,0,0,2,5,,10,0,0,,0,,0,0,0,0,UP,1,3,7\n"
    + "shop-web,shop-web-b,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN 1/2,1,,\n"
    + "shop-web,shop-web-c,0,0,0,0,,0,0,0,,0,,0,0,0,0,DRAIN,0,,\n"
    + "blog-web,blog-web-a,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT (via x/y),1,,\n"
    + "blog-web,blog-web-b,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,1,,\n"
    + "\n"
)

SHOW_PROC = """\
#<PID>          <type>          <reloads>       <uptime>        <version>
3952            master          2 [failed: 1]   0d00h00m13s     2.6.12-1+deb12u3
# workers
4175            worker          0               0d00h00m00s     2.6.12-1+deb12u3
# old workers
3953            worker          1               0d00h00m13s     2.6.12-1+deb12u3
# programs

"""


def test_stat_rows_are_typed_and_statuses_normalized() -> None:
    stats = {(s.backend, s.name): (s.status, s.sessions, s.weight) for s in parse_stat(STAT)}

    assert stats == {
        ("shop-web", "shop-web-a"): ("UP", 2, 1),
        ("shop-web", "shop-web-b"): ("DOWN", 0, 1),
        ("shop-web", "shop-web-c"): ("DRAIN", 0, 0),
        ("blog-web", "blog-web-a"): ("MAINT", 0, 1),
        ("blog-web", "blog-web-b"): ("UP", 0, 1),
    }


def test_stat_rows_count_new_and_reused_server_connections() -> None:
    first = parse_stat(STAT)[0]

    assert (first.name, first.connects, first.reuses) == ("shop-web-a", 3, 7)


@pytest.mark.parametrize(
    ("raw", "status"),
    [("UP 1/3", "UP"), ("NOLB", "DRAIN"), ("MAINT(resolution)", "MAINT"), ("DOWN", "DOWN")],
)
def test_status_wording_is_normalized(raw: str, status: str) -> None:
    assert normalize_status(raw) == status


def test_runtime_commands_are_spelled_as_haproxy_expects() -> None:
    transport = ScriptedTransport(
        {
            "@1 set server web/s1 addr 127.0.0.1 port 5000": (
                "no need to change the addr, port changed from '1' to '5000' "
                "by 'stats socket command'\n\n"
            ),
            "@1 show stat -1 4 -1": STAT,
        }
    )
    api = RuntimeApi(transport, prefix="@1 ")

    api.set_address("web", "s1", "127.0.0.1", 5000)
    api.set_weight("web", "s1", 1)
    api.set_health("web", "s1", "up")
    api.enable_health("web", "s1")
    api.set_state("web", "s1", "drain")
    api.shutdown_sessions("web", "s1")
    api.disable_health("web", "s1")
    assert len(api.stat()) == 5

    assert transport.sent == [
        "@1 set server web/s1 addr 127.0.0.1 port 5000",
        "@1 set server web/s1 weight 1",
        "@1 set server web/s1 health up",
        "@1 enable health web/s1",
        "@1 set server web/s1 state drain",
        "@1 shutdown sessions server web/s1",
        "@1 disable health web/s1",
        "@1 show stat -1 4 -1",
    ]


def test_an_address_change_must_be_acknowledged() -> None:
    command = "set server web/s1 addr 127.0.0.1 port 5000"
    api = RuntimeApi(ScriptedTransport({command: "Invalid addr.\n"}))

    with pytest.raises(RuntimeApiError) as caught:
        api.set_address("web", "s1", "127.0.0.1", 5000)

    assert str(caught.value) == f"haproxy runtime API: `{command}` failed: Invalid addr."


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("No such server.\n\n", NoSuchServer),
        ("No such backend.\n", NoSuchBackend),
        (
            "Unknown command, but maybe one of the following ones is a better match:\n",
            RuntimeApiError,
        ),
        ("Can't find the target PID matching the prefix '@1'\n", RuntimeApiError),
    ],
)
def test_error_replies_raise_typed_errors(reply: str, error: type[RuntimeApiError]) -> None:
    api = RuntimeApi(ScriptedTransport({"set server web/s1 state maint": reply}))

    with pytest.raises(error) as caught:
        api.set_state("web", "s1", "maint")

    assert caught.value.reply == reply.strip()
    assert str(caught.value) == (
        f"haproxy runtime API: `set server web/s1 state maint` failed: {reply.strip()}"
    )


def test_unexpected_replies_to_mutations_are_errors() -> None:
    api = RuntimeApi(
        ScriptedTransport(
            {"enable health web/s1": "Health checks are not configured on this server.\n"}
        )
    )

    with pytest.raises(RuntimeApiError, match="Health checks are not configured"):
        api.enable_health("web", "s1")


def test_master_process_list() -> None:
    master = MasterCli(ScriptedTransport({"show proc": SHOW_PROC}))

    assert master.processes() == Processes(
        master=3952, reloads=2, failed_reloads=1, workers=(4175,), old_workers=(3953,)
    )


def test_master_routes_worker_commands_to_the_current_worker() -> None:
    transport = ScriptedTransport({"@1 show info": "Name: HAProxy\nPid: 4175\n"})

    assert MasterCli(transport).worker().pid() == 4175
    assert transport.sent == ["@1 show info"]


def test_unix_socket_transport_sends_one_line_and_reads_to_eof(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    received: list[bytes] = []

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)

        def answer() -> None:
            conn, _ = server.accept()
            with conn:
                received.append(conn.recv(1024))
                conn.sendall(b"Pid: 1\n")

        thread = threading.Thread(target=answer)
        thread.start()
        reply = UnixSocketTransport(path, timeout=2.0).send("show info")
        thread.join(timeout=5)

    assert received == [b"show info\n"]
    assert reply == "Pid: 1\n"


def test_nothing_listening_is_api_unavailable(tmp_path: Path) -> None:
    transport = UnixSocketTransport(tmp_path / "missing.sock", connect_timeout=0.05)

    with pytest.raises(ApiUnavailable, match="nothing answers on"):
        transport.send("show proc")


def test_the_connect_is_retried_until_the_socket_answers(tmp_path: Path) -> None:
    """A master re-executing itself refuses connections for a moment: the connect waits for
    its socket, on the clock it was given."""
    path = tmp_path / "master.sock"
    clock = ManualClock()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)

    def back_after_three_tries() -> None:
        if len(clock.sleeps) == 3:
            server.bind(str(path))
            server.listen(1)

    clock.on_sleep.append(back_after_three_tries)
    transport = UnixSocketTransport(path, connect_timeout=1.0, clock=clock)
    with server, transport._connect("show proc"):
        pass

    assert clock.sleeps == [0.02, 0.02, 0.02]


def test_the_connect_gives_up_at_its_timeout_naming_the_socket(tmp_path: Path) -> None:
    clock = ManualClock()
    transport = UnixSocketTransport(tmp_path / "gone.sock", connect_timeout=0.1, clock=clock)

    with pytest.raises(ApiUnavailable) as caught:
        transport.send("show proc")

    assert str(caught.value).startswith(
        f"haproxy runtime API: `show proc` failed: nothing answers on {tmp_path / 'gone.sock'}: "
    )
    assert sum(clock.sleeps) == pytest.approx(0.1)
