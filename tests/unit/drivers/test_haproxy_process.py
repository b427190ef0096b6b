from __future__ import annotations

from pathlib import Path

import pytest
from tests.clock import ManualClock

from launchdeck.drivers.local.router.config import RouterPaths
from launchdeck.drivers.local.router.errors import (
    ConfigInvalid,
    HAProxyNotInstalled,
    StartFailed,
)
from launchdeck.drivers.local.router.haproxy import Router
from launchdeck.drivers.local.router.process import (
    HAProxyProcesses,
    check_config,
    find_haproxy,
    start_master,
)
from launchdeck.system import Command, Result, Runner

PATHS = RouterPaths(Path("/srv/ld/router"))


class ScriptedRunner(Runner):
    """Records argv and answers from a list of (returncode, output)."""

    def __init__(self, answers: list[tuple[int, str]]) -> None:
        self.answers = answers
        self.ran: list[tuple[str, ...]] = []

    def run(self, command: Command, *, check: bool = True) -> Result:
        self.ran.append(command.argv)
        code, output = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return Result(command, code, "", output)


def test_commands_are_argv_values() -> None:
    assert check_config("/usr/sbin/haproxy", PATHS.candidate).argv == (
        "/usr/sbin/haproxy", "-c", "-f", "/srv/ld/router/haproxy.cfg.next",
    )  # fmt: skip
    assert start_master("/usr/sbin/haproxy", PATHS).argv == (
        "/usr/sbin/haproxy",
        "-W",
        "-D",
        "-S", "/srv/ld/router/master.sock,mode,600",
        "-p", "/srv/ld/router/haproxy.pid",
        "-f", "/srv/ld/router/haproxy.cfg",
    )  # fmt: skip


def test_missing_haproxy_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(HAProxyNotInstalled) as caught:
        find_haproxy("haproxy-not-installed-here")
    assert str(caught.value) == (
        "haproxy not found: install it with apt-get install haproxy (or run make setup) "
        "(looked for 'haproxy-not-installed-here')"
    )
    assert str(HAProxyNotInstalled()) == (
        "haproxy not found: install it with apt-get install haproxy (or run make setup)"
    )
    router = Router(tmp_path / "r", http_port=8080, haproxy="haproxy-not-installed-here")
    with pytest.raises(HAProxyNotInstalled):
        router.ensure_running()


def test_rejected_config_carries_haproxy_output() -> None:
    runner = ScriptedRunner([(1, "[ALERT] parsing [x.cfg:3] : unknown keyword 'bogus'")])
    procs = HAProxyProcesses(PATHS, runner=runner, clock=ManualClock())

    with pytest.raises(ConfigInvalid) as caught:
        procs.check("haproxy", PATHS.candidate)

    assert caught.value.output == "[ALERT] parsing [x.cfg:3] : unknown keyword 'bogus'"


def test_start_retries_while_the_port_is_held_then_gives_up() -> None:
    clock = ManualClock()
    runner = ScriptedRunner([(1, "[ALERT] Starting frontend http: cannot bind socket")])
    procs = HAProxyProcesses(PATHS, runner=runner, clock=clock)

    with pytest.raises(StartFailed, match="is another program using the port"):
        procs.start("haproxy", retry_for=5.0)

    assert 15 <= len(runner.ran) <= 25  # every 0.25 s for 5 s
    assert clock.t >= 1005.0


def test_start_fails_at_once_on_other_errors() -> None:
    runner = ScriptedRunner([(1, "[ALERT] something else")])
    procs = HAProxyProcesses(PATHS, runner=runner, clock=ManualClock())

    with pytest.raises(StartFailed, match="something else"):
        procs.start("haproxy")

    assert len(runner.ran) == 1


def test_no_pidfile_means_not_running(tmp_path: Path) -> None:
    router = Router(tmp_path / "r", http_port=8080)

    assert router.is_running() is False
    assert router.pid() is None
    (tmp_path / "r").mkdir()
    router.paths.pidfile.write_text("1\n")  # alive, but not our haproxy
    assert router.is_running() is False
