from __future__ import annotations

from pathlib import Path

from launchdeck.drivers.local.postgres.config import (
    ClusterLayout,
    Recovery,
    ServerSettings,
    archive_command,
    conf_string,
    render_conf,
    render_hba,
    restore_command,
)

LAYOUT = ClusterLayout(Path("/srv/ld/addons/postgres/15"))


def test_the_layout_keeps_everything_under_the_root() -> None:
    assert LAYOUT.data == Path("/srv/ld/addons/postgres/15/data")
    assert LAYOUT.server_dirs() == (
        LAYOUT.root,
        LAYOUT.root / "run",
        LAYOUT.root / "wal-archive",
        LAYOUT.root / "log",
    )
    assert LAYOUT.secrets not in LAYOUT.server_dirs()  # never handed to the server's account


def test_archiving_never_overwrites_and_paths_are_quoted() -> None:
    assert archive_command(Path("/a/wal")) == (
        "if test -f /a/wal/%f; then cmp -s %p /a/wal/%f; "
        "else cp %p /a/wal/%f.tmp && sync /a/wal/%f.tmp && mv /a/wal/%f.tmp /a/wal/%f; fi"
    )
    assert restore_command(Path("/odd dir/100%")) == "cp '/odd dir/100%%'/%f %p"
    assert conf_string("it's a \\ path") == "'it''s a \\\\ path'"


def test_the_config_binds_loopback_and_archives_wal() -> None:
    text = render_conf(ServerSettings(5433, LAYOUT.run, LAYOUT.archive))
    lines = text.splitlines()
    for expected in (
        "listen_addresses = '127.0.0.1'",
        "port = 5433",
        f"unix_socket_directories = '{LAYOUT.run}'",
        "password_encryption = 'scram-sha-256'",
        "wal_level = replica",
        "archive_mode = on",
        "archive_timeout = 60",
    ):
        assert expected in lines
    assert any(line.startswith("archive_command = 'if test -f ") for line in lines)
    assert "restore_command" not in text


def test_a_scratch_cluster_does_not_archive_and_recovers_to_its_target() -> None:
    immediate = render_conf(ServerSettings(1, LAYOUT.run, None, recovery=Recovery(Path("/w"))))
    assert "archive_mode = off" in immediate.splitlines()
    assert "archive_command" not in immediate
    assert immediate.splitlines()[-4:] == [
        "restore_command = 'cp /w/%f %p'",
        "recovery_target = 'immediate'",
        "recovery_target_action = 'promote'",
        "recovery_target_timeline = 'current'",
    ]
    timed = Recovery(Path("/w"), target_time="2026-11-22T10:15:00+00:00")
    text = render_conf(ServerSettings(1, LAYOUT.run, LAYOUT.archive, recovery=timed))
    assert "recovery_target_time = '2026-11-22T10:15:00+00:00'" in text.splitlines()


def test_only_the_superuser_skips_passwords_and_only_on_our_socket() -> None:
    rules = [line.split() for line in render_hba().splitlines() if not line.startswith("#")]
    assert rules == [
        ["local", "all", "postgres", "trust"],
        ["local", "replication", "postgres", "trust"],
        ["local", "all", "all", "scram-sha-256"],
        ["host", "all", "all", "127.0.0.1/32", "scram-sha-256"],
        ["host", "replication", "postgres", "127.0.0.1/32", "scram-sha-256"],
    ]
