"""Content addresses: walk a source tree once, hash paths + exec bits + contents, copy it.

The walk is shared by hashing and copying so the stored tree is exactly the tree that was hashed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from launchdeck.build.errors import BuildError

# Local state that must never change a digest nor ship in an artifact: VCS data, local
# virtualenvs / node_modules (the build makes its own), bytecode, launchdeck's own scratch.
IGNORED_NAMES = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".launchdeck"})
IGNORED_SUFFIXES = (".pyc",)

DIR, FILE, EXEC, LINK = "d", "f", "x", "l"


@dataclass(frozen=True)
class Entry:
    path: str  # relative, "/"-separated
    type: str  # DIR | FILE | EXEC | LINK


def tree_entries(source: Path, *, exclude: frozenset[str] = frozenset()) -> list[Entry]:
    """Every entry under `source` that belongs in a build, sorted by path; `exclude` names
    relative paths to leave out (the build root itself, when it lives inside the app)."""
    entries: list[Entry] = []
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        try:
            with os.scandir(source / rel_dir) as it:
                children = list(it)
        except OSError as exc:
            raise _unreadable(source / rel_dir, exc) from None
        for child in children:
            if child.name in IGNORED_NAMES or child.name.endswith(IGNORED_SUFFIXES):
                continue
            rel = f"{rel_dir}/{child.name}" if rel_dir else child.name
            if rel in exclude:
                continue
            if child.is_symlink():
                entries.append(Entry(rel, LINK))
            elif child.is_dir():
                entries.append(Entry(rel, DIR))
                pending.append(rel)
            elif child.is_file():
                executable = child.stat().st_mode & stat.S_IXUSR
                entries.append(Entry(rel, EXEC if executable else FILE))
            # sockets, fifos and devices are not app code: skipped
    entries.sort(key=lambda entry: entry.path)
    return entries


def tree_digest(source: Path, entries: Iterable[Entry], *, inputs: dict[str, str]) -> str:
    """sha256 hex over `inputs` (kind, deps key, command) and every entry's path, type, content."""
    digest = hashlib.sha256()
    for name in sorted(inputs):
        _field(digest, name)
        _field(digest, inputs[name])
    for entry in entries:
        _field(digest, entry.path)
        _field(digest, entry.type)
        path = source / entry.path
        if entry.type == LINK:
            _field(digest, os.readlink(path))
        elif entry.type != DIR:
            _field(digest, file_sha256(path))
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        raise _unreadable(path, exc) from None


def key_of(*parts: str | bytes) -> str:
    """A stable hash of several parts (length-prefixed, so ("ab", "c") != ("a", "bc"))."""
    digest = hashlib.sha256()
    for part in parts:
        _field(digest, part)
    return digest.hexdigest()


def copy_tree(source: Path, dest: Path, entries: Iterable[Entry]) -> None:
    """Recreate `entries` under `dest`; modes are normalized to what the digest records."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        src, dst = source / entry.path, dest / entry.path
        try:
            if entry.type == DIR:
                dst.mkdir(exist_ok=True)
            elif entry.type == LINK:
                os.symlink(os.readlink(src), dst)
            else:
                shutil.copyfile(src, dst)
                os.chmod(dst, 0o755 if entry.type == EXEC else 0o644)
        except OSError as exc:
            raise _unreadable(src, exc) from None


def _field(digest: hashlib._Hash, value: str | bytes) -> None:
    raw = value.encode() if isinstance(value, str) else value
    digest.update(b"%d:" % len(raw))
    digest.update(raw)


def _unreadable(path: Path, exc: OSError) -> BuildError:
    return BuildError(f"{path}: cannot read ({exc.strerror}): fix its permissions or remove it")
