"""Fixtures for the build package's unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.build.fakes import MakeApp, RecordingRunner, SteppingClock


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def make_app(tmp_path: Path) -> MakeApp:
    """make_app({"Procfile": "web: ..."}, name="app") writes the files under tmp_path/name."""

    def make(files: dict[str, str], name: str = "app") -> Path:
        root = tmp_path / name
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return root

    return make
