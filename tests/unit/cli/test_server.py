from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from launchdeck.cli import server
from launchdeck.cli.client import CliError
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
