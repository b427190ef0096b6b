"""What an environment's last deploy asked of its PostgreSQL survives environments.json."""

from __future__ import annotations

import json
from pathlib import Path

from launchdeck.domain import BackupCopy, BackupPolicy, PostgresAddon
from launchdeck.drivers.local.postgres.places import FILE, Placements


def test_the_backup_copy_target_survives_the_file_and_old_files_have_none(tmp_path: Path) -> None:
    copy = BackupCopy("shop-backups", "launchdeck/", "http://127.0.0.1:9000", "eu-west-1")
    settings = PostgresAddon("15", BackupPolicy(every=3600.0, keep=86400.0, s3=copy), "x")
    Placements(tmp_path).record_settings("shop_staging", settings)
    assert Placements(tmp_path).get("shop_staging").settings == settings

    data = json.loads((tmp_path / FILE).read_text())
    del data["shop_staging"]["settings"]["s3"]  # written before copies existed
    (tmp_path / FILE).write_text(json.dumps(data))
    old = Placements(tmp_path).get("shop_staging").settings
    assert old == PostgresAddon("15", BackupPolicy(every=3600.0, keep=86400.0), "x")
