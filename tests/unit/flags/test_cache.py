"""The cache file: the last set, replaced whole, and ignored (with a warning) when unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from launchdeck_openfeature.cache import FlagCache
from launchdeck_openfeature.flagset import FlagSet

BODY = {"version": 5, "app": "shop", "env": "production", "latest_app_version": "1.0",
        "flags": {"f": {"enabled": True}}}  # fmt: skip


def test_a_saved_set_loads_back(tmp_path: Path) -> None:
    cache = FlagCache(tmp_path / "sub" / "flags.json")

    cache.save(BODY)
    cache.save({**BODY, "version": 6})

    assert cache.load() == FlagSet.from_json({**BODY, "version": 6})
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["flags.json"]  # no temporary left


def test_no_file_is_no_set(tmp_path: Path) -> None:
    assert FlagCache(tmp_path / "flags.json").load() is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (json.dumps({**BODY, "flags": []}), "flags: should be an object of flags by name (got [])"),
    ],
)
def test_an_unreadable_file_is_no_set_and_a_warning(
    tmp_path: Path, content: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "flags.json"
    path.write_text(content)

    assert FlagCache(path).load() is None
    assert caplog.messages == [
        f"launchdeck flags: ignoring the cache file {path}: {reason} (it is rewritten on the next "
        "set the server sends)"
    ]


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    cache = FlagCache(tmp_path / "flags.json")
    cache.save(BODY)

    with pytest.raises(TypeError):
        cache.save({**BODY, "version": object()})

    assert cache.load() == FlagSet.from_json(BODY)
    assert [p.name for p in tmp_path.iterdir()] == ["flags.json"]
