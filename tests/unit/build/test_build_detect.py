from __future__ import annotations

from pathlib import Path

import pytest

from launchdeck.build import BuildError, detect_kind
from launchdeck.domain import BuildSpec


@pytest.mark.parametrize(
    ("files", "kind"),
    [
        (["requirements.txt"], "python"),
        (["pyproject.toml"], "python"),
        (["package.json"], "node"),
        (["requirements.txt", "package.json"], "python"),
        (["Procfile"], "generic"),
        (["launchdeck.toml"], "generic"),
    ],
)
def test_detects_from_file_names(tmp_path: Path, files: list[str], kind: str) -> None:
    for name in files:
        (tmp_path / name).write_text("")
    assert detect_kind(tmp_path, BuildSpec()) == kind


def test_spec_kind_wins(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("")
    assert detect_kind(tmp_path, BuildSpec(kind="generic")) == "generic"


def test_unknown_spec_kind(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("")
    with pytest.raises(BuildError) as info:
        detect_kind(tmp_path, BuildSpec(kind="ruby"))
    assert str(info.value) == "build.kind: should be one of python, node, generic (got 'ruby')"


def test_no_recognizable_app(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("")
    with pytest.raises(BuildError) as info:
        detect_kind(tmp_path, BuildSpec())
    assert str(info.value) == (
        f"{tmp_path}: no recognizable app: expected a launchdeck.toml or Procfile "
        "(and requirements.txt / pyproject.toml for Python, package.json for Node)"
    )


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(BuildError) as info:
        detect_kind(tmp_path / "nope", BuildSpec())
    expected = f"{tmp_path / 'nope'}: no such directory: pass the root directory of the app"
    assert str(info.value) == expected
