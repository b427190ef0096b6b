"""find_chromium: which Chromium the browser tests launch, and what a missing one says."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import ChromiumNotFound, find_chromium


@pytest.fixture
def fake_chromium(tmp_path: Path) -> Path:
    path = tmp_path / "chromium"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_first_candidate_found_wins(tmp_path: Path, fake_chromium: Path) -> None:
    assert find_chromium({}, [tmp_path / "absent", fake_chromium]) == fake_chromium


def test_the_environment_overrides_the_candidates(tmp_path: Path, fake_chromium: Path) -> None:
    found = find_chromium({"LAUNCHDECK_CHROMIUM": str(fake_chromium)}, [tmp_path / "absent"])
    assert found == fake_chromium


def test_a_missing_override_says_so(tmp_path: Path, fake_chromium: Path) -> None:
    with pytest.raises(ChromiumNotFound) as raised:
        find_chromium({"LAUNCHDECK_CHROMIUM": f"{tmp_path}/nope"}, [fake_chromium])
    assert str(raised.value) == (
        f"LAUNCHDECK_CHROMIUM: no executable at {tmp_path}/nope; point it at a Chromium binary "
        "or unset it"
    )


def test_none_found_names_scripts_setup(tmp_path: Path) -> None:
    with pytest.raises(ChromiumNotFound) as raised:
        find_chromium({}, [tmp_path / "a", tmp_path / "b"])
    assert str(raised.value) == (
        f"chromium: not found at {tmp_path}/a or {tmp_path}/b; run scripts/setup (it installs "
        "Debian's chromium package) or set LAUNCHDECK_CHROMIUM"
    )
