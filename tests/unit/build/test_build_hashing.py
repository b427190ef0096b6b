from __future__ import annotations

import os
from pathlib import Path

import pytest

from launchdeck.build.errors import BuildError
from launchdeck.build.hashing import (
    DIR,
    EXEC,
    FILE,
    LINK,
    Entry,
    copy_tree,
    key_of,
    tree_digest,
    tree_entries,
)

INPUTS = {"kind": "python", "deps": "k", "command": ""}


def digest(root: Path, inputs: dict[str, str] = INPUTS) -> str:
    return tree_digest(root, tree_entries(root), inputs=inputs)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "pkg").mkdir(parents=True)
    (root / "Procfile").write_text("web: python -m pkg\n")
    (root / "pkg" / "__init__.py").write_text("print('hi')\n")
    return root


def test_entries_are_sorted_and_typed(app: Path) -> None:
    (app / "run.sh").write_text("#!/bin/sh\n")
    (app / "run.sh").chmod(0o755)
    (app / "link").symlink_to("Procfile")
    assert tree_entries(app) == [
        Entry("Procfile", FILE),
        Entry("link", LINK),
        Entry("pkg", DIR),
        Entry("pkg/__init__.py", FILE),
        Entry("run.sh", EXEC),
    ]


def test_local_state_is_ignored(app: Path) -> None:
    before = digest(app)
    for name in (".git", ".venv", "venv", "node_modules", "pkg/__pycache__", ".launchdeck"):
        (app / name).mkdir(parents=True)
        (app / name / "junk").write_text("x")
    (app / "pkg" / "mod.pyc").write_bytes(b"\0")
    assert [e.path for e in tree_entries(app)] == ["Procfile", "pkg", "pkg/__init__.py"]
    assert digest(app) == before


def test_same_tree_elsewhere_has_the_same_digest(app: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy_tree(app, copy, tree_entries(app))
    assert digest(copy) == digest(app)


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "pkg" / "__init__.py").write_text("print('bye')\n"),
        lambda root: (root / "pkg" / "__init__.py").rename(root / "pkg" / "main.py"),
        lambda root: (root / "Procfile").chmod(0o755),
        lambda root: (root / "static").mkdir(),
        lambda root: (root / "l").symlink_to("Procfile"),
    ],
    ids=["content", "path", "exec-bit", "empty-dir", "symlink"],
)
def test_any_change_changes_the_digest(app: Path, change: object) -> None:
    before = digest(app)
    change(app)  # type: ignore[operator]
    assert digest(app) != before


def test_read_bits_other_than_exec_do_not_matter(app: Path) -> None:
    before = digest(app)
    (app / "Procfile").chmod(0o600)
    assert digest(app) == before


@pytest.mark.parametrize("key", ["kind", "deps", "command"])
def test_build_inputs_change_the_digest(app: Path, key: str) -> None:
    assert digest(app, {**INPUTS, key: "other"}) != digest(app)


def test_key_of_separates_its_parts() -> None:
    assert key_of("ab", "c") != key_of("a", "bc")
    assert key_of("a", b"b") == key_of("a", "b")


def test_copy_tree_normalizes_modes_and_keeps_links(app: Path, tmp_path: Path) -> None:
    (app / "run.sh").write_text("#!/bin/sh\n")
    (app / "run.sh").chmod(0o700)
    (app / "Procfile").chmod(0o600)
    (app / "link").symlink_to("Procfile")
    copy = tmp_path / "copy"
    copy_tree(app, copy, tree_entries(app))
    assert (copy / "run.sh").stat().st_mode & 0o777 == 0o755
    assert (copy / "Procfile").stat().st_mode & 0o777 == 0o644
    assert os.readlink(copy / "link") == "Procfile"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_says_what_to_fix(app: Path) -> None:
    (app / "Procfile").chmod(0)
    with pytest.raises(BuildError, match=r"Procfile: cannot read \(Permission denied\)"):
        digest(app)
