"""Dependency environments, one per key: root/deps/<key> -> root/envs/<key>-<random>/.

Venvs (and the scripts pip writes into them) record their own absolute path, so an env cannot be
built in a temp dir and renamed into place. It is built in its final, unique dir instead and
published by creating the root/deps/<key> link: the link exists only once the env is complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from launchdeck.build.store import passage
from launchdeck.system import FileLock


class DepsCache:
    def __init__(self, root: Path) -> None:
        self._links = root / "deps"
        self._envs = root / "envs"
        self._locks = root / "locks"

    def path(self, key: str) -> Path:
        return self._links / key

    def ensure(self, key: str, install: Callable[[Path], None]) -> bool:
        """Make sure the env `key` exists, running `install(empty_dir)` if not; True if reused.

        The per-key lock makes concurrent builds with the same key wait for one install."""
        link = self.path(key)
        with FileLock(self._locks / f"deps-{key}.lock"):
            if link.is_dir():
                return True
            link.unlink(missing_ok=True)  # a dangling link: its env was deleted by hand
            passage(self._envs)
            env = Path(tempfile.mkdtemp(dir=self._envs, prefix=f"{key}-"))
            try:
                install(env)
                passage(self._links)
                os.symlink(os.path.relpath(env, self._links), link)
            except BaseException:
                shutil.rmtree(env, ignore_errors=True)
                raise
            return False

    def sweep(self, *, used: set[str], pinned: set[str]) -> list[str]:
        """Remove envs that neither a build (`used`) nor a live build (`pinned`) needs.

        Call with the store lock held: builds pin their key under it before taking the key's
        lock, so an unpinned key has no builder and its files can go."""
        keep = used | pinned
        removed: list[str] = []
        for link in _children(self._links):
            if link.name not in keep:
                link.unlink(missing_ok=True)
                removed.append(link.name)
        for env in _children(self._envs):
            key = env.name.rsplit("-", 1)[0]
            published = (self._links / key).resolve() == env.resolve()
            # An unpublished env of a pinned key may be an install in progress; otherwise it is
            # an unused env or the remains of an install that crashed.
            if key not in keep or (key not in pinned and not published):
                shutil.rmtree(env, ignore_errors=True)
        for lock in self._locks.glob("deps-*.lock"):
            if lock.name[len("deps-") : -len(".lock")] not in keep:
                lock.unlink(missing_ok=True)
        return removed


def _children(path: Path) -> list[Path]:
    try:
        return list(path.iterdir())
    except FileNotFoundError:
        return []
