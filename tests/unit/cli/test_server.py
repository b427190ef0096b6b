from __future__ import annotations

import json
import os
import signal
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from launchdeck.cli.client import CliError
from launchdeck.cli.commands import server
from tests.unit.cli.listener import Listener


class ExitedAtStart:
    """A daemon process that wrote one line to its log and exited."""

    pid = 4242

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        kwargs["stdout"].write(b"launchdeck: boom\n")

    def poll(self) -> int:
        return 1


@pytest.fixture
def user_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # a typical login shell's: new files 0644, directories 0755
    yield
    os.umask(previous)


def test_start_makes_a_private_home_and_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user_umask: None
) -> None:
    home = tmp_path / "ld"
    monkeypatch.setenv("LAUNCHDECK_HOME", str(home))
    monkeypatch.setattr(server.subprocess, "Popen", ExitedAtStart)

    with pytest.raises(CliError) as err:
        server.start(foreground=False)

    assert err.value.message == "the control plane exited at start:\nlaunchdeck: boom"
    assert err.value.fix == f"see {home / 'server.log'}"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "server.log").stat().st_mode) == 0o600


def test_status_asks_the_local_daemon_whatever_the_api_url_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = Listener({"api_url": "local"})
    try:
        (tmp_path / "server.pid").write_text(f"{os.getpid()}\n")
        (tmp_path / "api.json").write_text(json.dumps({"url": local.url, "token": "owner"}))
        monkeypatch.setenv("LAUNCHDECK_HOME", str(tmp_path))
        monkeypatch.setenv("LAUNCHDECK_API_URL", "http://remote.invalid:7070")
        monkeypatch.delenv("LAUNCHDECK_TOKEN", raising=False)

        assert server.status() == {"running": True, "pid": os.getpid(), "api_url": "local"}
        assert local.seen == ["Bearer owner"]
    finally:
        local.close()


class Daemon:
    """os.kill for a daemon that exits after `answers` liveness checks (never, with None)."""

    def __init__(self, answers: int | None) -> None:
        self.answers = answers
        self.signals: list[int] = []

    def __call__(self, pid: int, sig: int) -> None:
        assert pid == 4242
        self.signals.append(sig)
        if sig == 0 and self.answers is not None:
            if self.answers == 0:
                raise ProcessLookupError
            self.answers -= 1


def test_stop_waits_until_the_daemon_has_exited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "server.pid").write_text("4242\n")
    monkeypatch.setenv("LAUNCHDECK_HOME", str(tmp_path))
    daemon = Daemon(answers=3)  # server_pid's check, then 2 while it stops
    monkeypatch.setattr(server.os, "kill", daemon)

    assert server.stop(everything=True) == "control plane, apps and router stopped"
    assert daemon.signals == [0, signal.SIGUSR1, 0, 0, 0]


def test_stop_says_how_to_kill_a_daemon_that_does_not_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "server.pid").write_text("4242\n")
    monkeypatch.setenv("LAUNCHDECK_HOME", str(tmp_path))
    monkeypatch.setattr(server.os, "kill", Daemon(answers=None))

    with pytest.raises(CliError) as err:
        server.stop(everything=False, timeout=0.2)

    assert err.value.message == "control plane (pid 4242) did not stop within 0.2s"
    assert err.value.fix == "kill it with: kill 4242"
