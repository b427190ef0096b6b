"""LAUNCHDECK_API_DOCS (off unless exactly 1) and LAUNCHDECK_APPS_DIR (a path, like the
add-ons directory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchdeck.controlplane.settings import Settings, SettingsError


def test_api_docs_are_off_unless_set_to_1(tmp_path: Path) -> None:
    home = {"LAUNCHDECK_HOME": str(tmp_path)}

    assert Settings.from_environ(home).api_docs is False
    assert Settings.from_environ({**home, "LAUNCHDECK_API_DOCS": ""}).api_docs is False
    assert Settings.from_environ({**home, "LAUNCHDECK_API_DOCS": "0"}).api_docs is False
    assert Settings.from_environ({**home, "LAUNCHDECK_API_DOCS": "1"}).api_docs is True


@pytest.mark.parametrize("raw", ["yes", "true", "on", "2", " 1"])
def test_any_other_api_docs_value_is_refused_not_guessed(tmp_path: Path, raw: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_environ({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_API_DOCS": raw})

    assert str(err.value) == f"LAUNCHDECK_API_DOCS: should be 1 (on) or 0 (off) (got {raw!r})"


def test_the_apps_dir_expands_a_tilde_and_resolves(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    home = {"LAUNCHDECK_HOME": str(tmp_path / "ld")}

    assert Settings.from_environ(home).apps_dir is None
    s = Settings.from_environ({**home, "LAUNCHDECK_APPS_DIR": "~/x/../apps"})
    assert s.apps_dir == (tmp_path / "apps").resolve()
