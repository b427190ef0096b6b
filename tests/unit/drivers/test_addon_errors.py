from __future__ import annotations

from launchdeck.drivers.local.addon_errors import (
    AddonNotInstalled,
    DataDirUnreachable,
    RestoreTargetOutOfRange,
    ServiceUserMissing,
)
from launchdeck.system.addon_errors import UnknownBackup


def test_the_fix_is_a_field_and_str_joins_it_to_the_message() -> None:
    error = AddonNotInstalled("Redis is not installed (no redis-server on PATH)", "redis-server")

    assert error.message == "Redis is not installed (no redis-server on PATH)"
    assert error.fix == "apt-get install redis-server (or run make setup)"
    assert str(error) == (
        "Redis is not installed (no redis-server on PATH); fix: apt-get install redis-server "
        "(or run make setup)"
    )


def test_an_unknown_backup_lists_the_known_ones_unquoted() -> None:
    error = UnknownBackup("b9", ["b1", "b2"])

    assert isinstance(error, KeyError)
    assert str(error) == (
        "no backup 'b9'; known backups (oldest first): b1, b2; "
        "fix: pick one from `launchdeck db backups`"
    )
    assert (
        UnknownBackup("b9", []).message == "no backup 'b9'; known backups (oldest first): none yet"
    )


def test_a_restore_time_outside_the_window_shows_the_window() -> None:
    error = RestoreTargetOutOfRange("09:00", "too early", "10:00", "11:00")

    assert error.message == (
        "cannot restore to 09:00: too early; the restorable window is 10:00 to 11:00 (now)"
    )
    assert error.fix == "pick a time inside that window"


def test_the_service_account_errors_name_the_account_and_the_fix() -> None:
    missing = ServiceUserMissing("postgres", "postgresql-common")
    assert missing.fix == (
        "apt-get install postgresql-common (it creates the user), or run launchdeck as a "
        "non-root user"
    )
    unreachable = DataDirUnreachable("postgres", "/home/u/.launchdeck", "/home/u", 0o700)
    assert unreachable.message == (
        "the 'postgres' system user cannot reach /home/u/.launchdeck: /home/u is mode 0700"
    )
    assert unreachable.fix.startswith("chmod o+x /home/u (search only, no listing)")
