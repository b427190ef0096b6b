"""How `db backups` / `db backup` show where a backup was copied to."""

from __future__ import annotations

from launchdeck.cli.db import copy_text


def test_the_copy_column_shows_the_bucket_or_the_failure_in_red() -> None:
    copied = copy_text({"copied_to": "s3://shop-backups/15/b0/", "copy_error": ""})
    assert (copied.plain, str(copied.style)) == ("s3://shop-backups/15/b0/", "green")
    failed = copy_text({"copied_to": "", "copy_error": "bucket x does not exist"})
    assert (failed.plain, str(failed.style)) == ("FAILED: bucket x does not exist", "bold red")
    assert copy_text({"id": "old", "status": "verified"}).plain == "-"
