"""`[cron.<name>]`, its environment overrides and app.json's `cron` (as Dokku reads it)."""

import json
from pathlib import Path

import pytest

from launchdeck.domain.jobs import Concurrency, CronJob
from launchdeck.manifest import ManifestError, load_manifest, parse_manifest

WEB = '[services.web]\ncommand = "serve"\n'


def issues(text: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(WEB + text, source="t")
    return [str(issue) for issue in caught.value.issues]


def test_a_job_by_schedule_or_interval_with_its_defaults() -> None:
    manifest = parse_manifest(
        WEB + '[cron.nightly-report]\nschedule = "0 3 * * *"\ncommand = "python report.py"\n'
        'timeout = "30m"\n[cron.sweep]\nevery = "10m"\ncommand = "python sweep.py"\n'
        'concurrency = "allow"\ntimezone = "Europe/Paris"\n',
        source="t",
    )
    assert manifest.cron == {
        "nightly-report": CronJob("nightly-report", "python report.py", "0 3 * * *", None, 1800.0),
        "sweep": CronJob("sweep", "python sweep.py", None, 600.0,
                         concurrency=Concurrency.ALLOW, timezone="Europe/Paris"),
    }  # fmt: skip


def test_an_environment_changes_or_drops_a_job() -> None:
    manifest = parse_manifest(
        WEB + '[cron.report]\nschedule = "0 3 * * *"\ncommand = "python report.py"\n'
        "[environments.staging.cron.report]\nenabled = false\n"
        '[environments.production.cron.report]\nevery = "1h"\n',
        source="t",
    )
    assert manifest.for_env("staging").cron == {}
    production = manifest.for_env("production").cron["report"]
    assert (production.schedule, production.every) == (None, 3600.0)
    assert manifest.for_env("qa").cron == manifest.cron


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('schedule = "61 * * * *"', "cron.j.schedule: its minute field '61' does not parse"),
        ('schedule = "0 3 * * mon-xyz"', "cron.j.schedule: its day of week field 'mon-xyz'"),
        ('schedule = "0 3 * *"', "cron.j.schedule: should have 5 fields (minute hour "
         "day-of-month month day-of-week), got 4"),
        ('schedule = "0 25 * * *"', "cron.j.schedule: its hour field '25' does not parse"),
        ('schedule = "0 3 * * *"\nevery = "1m"', "cron.j: give exactly one of schedule and every"),
        ("", "cron.j: give exactly one of schedule and every"),
        ('every = "1m"\ntimezone = "Mars/Olympus"', "cron.j.timezone: is not a known time zone"),
        ('every = "1m"\nconcurrency = "sometimes"', "cron.j.concurrency: "),
    ],
)  # fmt: skip
def test_mistakes_name_the_field_and_the_fix(table: str, expected: str) -> None:
    [found] = issues(f'[cron.j]\ncommand = "x"\n{table}\n')
    assert found.startswith(expected), found
    assert "fix:" in found


def test_an_environment_cannot_change_a_job_that_is_not_declared() -> None:
    [found] = issues("[environments.production.cron.ghost]\nenabled = false\n")
    assert found.startswith("environments.production.cron.ghost: there is no [cron.ghost]")


def test_app_json_cron_entries_run_as_dokku_reads_them(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web: serve\n")
    entries = [
        {"command": "python report.py", "schedule": "@daily"},
        {"command": "python sweep.py", "schedule": "*/5 * * * *", "concurrency_policy": "replace"},
    ]
    (tmp_path / "app.json").write_text(json.dumps({"name": "shop", "cron": entries}))
    jobs = sorted(load_manifest(tmp_path).cron.values(), key=lambda job: job.command)
    assert [(j.command, j.schedule, j.concurrency) for j in jobs] == [
        ("python report.py", "@daily", Concurrency.FORBID),
        ("python sweep.py", "*/5 * * * *", Concurrency.REPLACE),
    ]
    assert all(j.name.startswith("app-json-") for j in jobs)
    names = {j.name for j in jobs}
    entries.insert(0, {"command": "python new.py", "schedule": "@hourly"})
    (tmp_path / "app.json").write_text(json.dumps({"cron": entries}))
    assert names <= set(load_manifest(tmp_path).cron)  # an edit keeps the others' names


def test_a_bad_app_json_entry_is_named(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web: serve\n")
    (tmp_path / "app.json").write_text(json.dumps({"cron": [{"command": "x", "schedule": "* *"}]}))
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path)
    [found] = caught.value.issues
    assert found.path == "app.json cron[0]" and "5 fields" in found.message
