"""$LAUNCHDECK_HOME holds the owner token, the secrets key and the database: nobody but the
daemon's account may read it. And the owner token can be replaced, after which only the new one
works."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import ControlPlane, copy_example, make_control_plane

pytestmark = pytest.mark.e2e


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def loose_paths(home: Path) -> list[str]:
    """Every directory not 0700-or-stricter and every regular file granting its group or others
    anything, as `path mode` lines (symlinks and sockets are not files we own the mode of)."""
    found = []
    for top, dirs, files, _fd in os.fwalk(home, follow_symlinks=False):
        for name in [".", *dirs, *files]:
            path = Path(top) / name
            st = path.lstat()
            kind = stat.S_IFMT(st.st_mode)
            if kind in (stat.S_IFDIR, stat.S_IFREG) and stat.S_IMODE(st.st_mode) & 0o077:
                found.append(f"{path} {stat.S_IMODE(st.st_mode):04o}")
    return sorted(set(found))


def test_every_path_under_the_home_is_private_after_a_deploy(cp, tmp_path) -> None:
    cp.cli("apps", "create", "hello")
    cp.cli("config", "set", "--secret", "API_KEY=sk-live-0042", "--app", "hello")
    cp.cli("deploy", str(copy_example(tmp_path)), "--app", "hello")
    time.sleep(1.0)  # the log pump ingests twice a second: the env's log file exists by now

    assert mode(cp.home) == 0o700
    for name in ("launchdeck.db", "launchdeck.db-wal", "api.json", "secret.key", "server.log"):
        assert mode(cp.home / name) == 0o600, f"{name} is {mode(cp.home / name):04o}"
    logs = [p for p in (cp.home / "logs").rglob("*") if p.is_file()]
    assert logs, "no log files were written"
    assert {f"{p} {mode(p):04o}" for p in logs if mode(p) != 0o600} == set()
    assert loose_paths(cp.home) == [], "readable by others:\n" + "\n".join(loose_paths(cp.home))


@pytest.fixture
def legacy(tmp_path: Path) -> Iterator[ControlPlane]:
    """A home as an older launchdeck left it: 0755, its files 0644 (not started yet)."""
    plane = make_control_plane(tmp_path)
    try:
        yield plane
    finally:
        plane.stop_everything()


def test_start_tightens_what_an_older_version_left(legacy: ControlPlane, tmp_path: Path) -> None:
    home = legacy.home
    (home / "logs" / "raw").mkdir(parents=True)
    for path in (home, home / "logs", home / "logs" / "raw"):
        path.chmod(0o755)
    old_log = home / "logs" / "hello-staging.jsonl"
    old_log.write_text("{}\n")
    old_log.chmod(0o644)
    hook = home / "logs" / "raw" / "run.sh"
    hook.write_text("#!/bin/sh\n")
    hook.chmod(0o4755)  # setuid: dropped with the group and other bits
    outside = tmp_path / "not-ours.txt"
    outside.write_text("x")
    outside.chmod(0o644)
    (home / "link").symlink_to(outside)
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(home / "logs" / "s.sock"))
    (home / "logs" / "s.sock").chmod(0o777)

    legacy.start()

    assert mode(home) == 0o700
    assert (mode(home / "logs"), mode(home / "logs" / "raw")) == (0o700, 0o700)
    assert mode(old_log) == 0o600
    assert mode(hook) == 0o700
    assert mode(outside) == 0o644  # the symlink was not followed
    assert mode(home / "logs" / "s.sock") == 0o777  # sockets are left alone
    assert mode(home / "server.log") == 0o600  # opened by `server start`, before the daemon


def test_rotate_owner_replaces_the_token_in_api_json(cp) -> None:
    old_token = json.loads((cp.home / "api.json").read_text())["token"]

    rotated = cp.cli("tokens", "rotate-owner")

    first, new_token = rotated.out.splitlines()
    assert first == "new owner token (role admin):"
    assert new_token.startswith("ldt_") and new_token != old_token
    assert rotated.err.startswith(
        f"{cp.home / 'api.json'} on the server host is updated: the CLI there uses the new "
        "token from now on."
    )
    assert json.loads((cp.home / "api.json").read_text())["token"] == new_token
    assert mode(cp.home / "api.json") == 0o600

    assert cp.cli("apps", "list", "--json").json() == []  # the next call reads the new api.json
    stale = dataclasses.replace(cp, env={**cp.env, "LAUNCHDECK_TOKEN": old_token})
    refused = stale.cli("apps", "list", check=False)
    assert refused.code == 1
    assert refused.err.splitlines() == [
        "error: missing or wrong API token (HTTP 401)",
        "fix: check LAUNCHDECK_TOKEN or $LAUNCHDECK_HOME/api.json",
    ]
    audit = cp.cli("audit", "--json").json()
    assert ("owner", "admin", "POST /v1/tokens/owner", 200) in [
        (e["who"], e["role"], e["action"], e["status"]) for e in audit
    ]
