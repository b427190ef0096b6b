"""What the daemon does to $LAUNCHDECK_HOME at start: an older version's 0755 directories and
0644 files become private, without following symlinks or touching sockets."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from launchdeck.controlplane.daemon import tighten_tree


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def made(path: Path, mode: int, text: str | None = "x") -> Path:
    if text is None:
        path.mkdir(parents=True, exist_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    path.chmod(mode)
    return path


def test_directories_and_files_an_older_version_left_become_private(tmp_path: Path) -> None:
    home = made(tmp_path / "home", 0o755, None)
    db = made(home / "launchdeck.db", 0o644)
    wal = made(home / "launchdeck.db-wal", 0o644)
    logs = made(home / "logs", 0o755, None)
    log = made(logs / "shop-staging.jsonl", 0o664)
    hook = made(home / "git" / "shop.git" / "hooks" / "pre-receive", 0o755)
    for directory in (home / "git", hook.parent.parent, hook.parent):
        directory.chmod(0o755)
    setuid = made(home / "odd", 0o4755)
    private = made(home / "api.json", 0o600)
    strict = made(home / "secret.key", 0o400)

    changed = tighten_tree(home)

    git_dirs = [home / "git", hook.parent.parent, hook.parent]
    assert {mode(p) for p in (home, logs, *git_dirs)} == {0o700}
    assert (mode(db), mode(wal), mode(log)) == (0o600, 0o600, 0o600)
    assert mode(hook) == 0o700  # still runs for its owner: only group and other bits go
    assert mode(setuid) == 0o700
    assert (mode(private), mode(strict)) == (0o600, 0o400)  # already private: untouched
    assert private not in changed and strict not in changed
    assert set(changed) == {home, db, wal, logs, log, *git_dirs, setuid, hook}


def test_symlinks_are_not_followed_and_sockets_are_left_alone(tmp_path: Path) -> None:
    home = made(tmp_path / "home", 0o755, None)
    outside_file = made(tmp_path / "elsewhere" / "shared.txt", 0o644)
    outside_dir = outside_file.parent
    outside_dir.chmod(0o755)
    (home / "to-file").symlink_to(outside_file)
    (home / "to-dir").symlink_to(outside_dir, target_is_directory=True)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(home / "admin.sock"))
    (home / "admin.sock").chmod(0o777)
    os.mkfifo(home / "pipe", 0o666)
    (home / "pipe").chmod(0o666)

    changed = tighten_tree(home)

    assert changed == [home]
    assert (mode(outside_file), mode(outside_dir)) == (0o644, 0o755)
    assert mode(home / "admin.sock") == 0o777
    assert mode(home / "pipe") == 0o666


def test_an_already_private_home_is_left_as_it_is(tmp_path: Path) -> None:
    home = made(tmp_path / "home", 0o700, None)
    made(home / "launchdeck.db", 0o600)
    made(home / "logs", 0o500, None)

    assert tighten_tree(home) == []
    assert mode(home / "logs") == 0o500
