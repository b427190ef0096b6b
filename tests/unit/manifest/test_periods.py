"""Periods (`"24h"`, `"7d"`) and `[addons.postgres] backups` / `scrub`: parsing, defaults and the
exact error text."""

from __future__ import annotations

import pytest

from launchdeck.domain import BackupPolicy, PostgresAddon
from launchdeck.manifest import ManifestError, parse_manifest
from launchdeck.manifest.values.periods import format_period, parse_period
from launchdeck.manifest.values.units import BadValue

SERVICES = '[services.web]\ncommand = "serve"\nport = true\n'


def issues(text: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(SERVICES + text, source="t")
    return [str(issue) for issue in caught.value.issues]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800.0), ("1h", 3600.0), ("24h", 86400.0), ("7d", 604800.0), ("2w", 1209600.0),
     ("1.5d", 129600.0)],
)  # fmt: skip
def test_parse_period(text: str, seconds: float) -> None:
    assert parse_period(text) == seconds
    assert parse_period(format_period(seconds)) == seconds


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ("7days", "use '7d'"),
        ("12 hours", "use '12h'"),
        ("1y", "use one of the units m, h, d or w, e.g. '7d'"),
        ("7", "add a unit, e.g. '7d'"),
        (7, "write it with a unit, e.g. '7d'"),
        ("soon", "write a number and a unit (m, h, d or w), e.g. '7d'"),
    ],
)
def test_a_bad_period_says_how_to_write_it(value: object, fix: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_period(value)
    assert caught.value.message == "should be a period like '1h', '12h', '24h', '7d' or '2w'"
    assert caught.value.fix == fix


def test_postgres_backups_default_to_daily_kept_a_week() -> None:
    manifest = parse_manifest(SERVICES + "[addons.postgres]\n")
    assert manifest.addons.postgres == PostgresAddon(None, BackupPolicy(86400.0, 604800.0), None)


def test_backup_schedule_and_scrub_parse_to_the_domain() -> None:
    manifest = parse_manifest(
        SERVICES
        + '[addons.postgres]\nversion = "15"\nbackups = { every = "12h", keep = "2w" }\n'
        + 'scrub = "python scrub.py"\n'
    )
    assert manifest.addons.postgres == PostgresAddon(
        "15", BackupPolicy(every=43200.0, keep=1209600.0), "python scrub.py"
    )


def test_bad_backup_settings_name_the_key_the_value_and_a_fix() -> None:
    assert issues('[addons.postgres]\nbackups = { every = "daily", keep = "3d" }\n') == [
        "addons.postgres.backups.every: should be a period like '1h', '12h', '24h', '7d' or "
        "'2w' (got 'daily'); fix: write a number and a unit (m, h, d or w), e.g. '7d'"
    ]
    assert issues('[addons.postgres]\nbackups = { every = "10m" }\n') == [
        'addons.postgres.backups.every: should be at least "1h" (got \'10m\'); fix: use "1h" '
        "or more"
    ]
    assert issues('[addons.postgres]\nbackups = { every = "2d", keep = "1d" }\n') == [
        "addons.postgres.backups.keep: should be at least `every` (2d), or the restorable window "
        "would have gaps (got '1d'); fix: use keep = \"2d\" or more, or take backups more often"
    ]
    assert issues('[addons.postgres]\nscrub = " "\n') == [
        "addons.postgres.scrub: should not be empty (got ' '); fix: use scrub = \"python scrub.py\""
    ]
    assert issues('[addons.postgres]\nbackups = { evry = "1d" }\n') == [
        "addons.postgres.backups.evry: unknown key (got 'evry'); fix: did you mean 'every'?"
    ]


REFUSED = (
    "{path}: backup destinations are control-plane settings, not part of the app (the backup "
    "holds every app's data on this host); fix: remove it and ask an admin to run: launchdeck "
    "db backups target set --bucket {bucket}"
)


def test_a_backup_destination_in_the_manifest_is_refused_with_the_admin_s_command() -> None:
    # the backup is the whole cluster: a deployer's own bucket would get every app's rows
    assert issues(
        '[addons.postgres]\nbackups = { every = "24h", s3 = { bucket = "shop-backups", '
        'prefix = "launchdeck/", endpoint = "https://attacker.example", region = "eu-west-1" } }\n'
    ) == [REFUSED.format(path="addons.postgres.backups.s3", bucket="shop-backups")]
    assert issues('[addons.postgres.backups.s3]\nbucket = "Not A Bucket; rm -rf /"\n') == [
        REFUSED.format(path="addons.postgres.backups.s3", bucket="BUCKET")
    ]
    assert issues('[addons.postgres]\nbackups = { s3 = "s3://mine" }\n') == [
        REFUSED.format(path="addons.postgres.backups.s3", bucket="BUCKET")
    ]


def test_an_environment_cannot_name_a_backup_destination_either() -> None:
    text = (
        "[environments.production.addons.postgres]\n"
        'backups = { s3 = { bucket = "exfil", endpoint = "http://10.0.0.9:9000" } }\n'
    )
    assert issues(text) == [
        REFUSED.format(path="environments.production.addons.postgres.backups.s3", bucket="exfil")
    ]


def test_the_schedule_stays_the_app_s_to_set() -> None:
    manifest = parse_manifest(
        SERVICES + '[addons.postgres]\nbackups = { every = "12h", keep = "14d" }\n'
    )
    assert manifest.addons.postgres is not None
    assert manifest.addons.postgres.backups == BackupPolicy(every=43200.0, keep=1209600.0)
    assert manifest.addons.postgres.backups.s3 is None
