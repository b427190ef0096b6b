"""The artifact store: root/builds/<hex>/{build.json,app/}, and the staging dirs builds start in.

A build becomes visible only by the rename of a complete directory, so readers never see half of
one. Staging dirs are pinned by a lock their builder holds, which tells a live build from the
leftovers of a crashed one.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchdeck.build.errors import UnknownBuild
from launchdeck.domain import BuildRef
from launchdeck.system import FileLock, atomic_write

_DIGEST = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")


@dataclass(frozen=True)
class Artifact:
    """A finished build. Instances run in `app_dir` with `env` laid over their environment."""

    ref: BuildRef
    app_dir: Path
    env: Mapping[str, str]
    deps_key: str | None
    reused_deps: bool  # the dependency env came from the cache rather than this build


class Stage:
    """A build in progress: tmp/build-*/build/ becomes builds/<hex>/ when it is complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.build_dir = path / "build"
        self.app = self.build_dir / "app"


def normalize(digest: str) -> str | None:
    """The "sha256:<hex>" form of a digest given with or without its prefix; None if malformed."""
    match = _DIGEST.fullmatch(digest)
    return f"sha256:{match.group(1)}" if match else None


class BuildStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._builds = root / "builds"
        self._tmp = root / "tmp"
        self._lock_path = root / "locks" / "store.lock"

    def locked(self) -> FileLock:
        """The store-wide lock: held briefly to publish, pin or create stages, and by prune."""
        return FileLock(self._lock_path)

    def find(self, digest: str) -> Artifact | None:
        full = normalize(digest)
        if full is None:
            return None
        try:
            meta = json.loads((self._builds / _hex(full) / "build.json").read_text())
        except (OSError, ValueError):
            return None
        return self._artifact(meta)

    def get(self, digest: str) -> Artifact:
        artifact = self.find(digest)
        if artifact is None:
            raise UnknownBuild(digest, self._builds)
        return artifact

    def artifacts(self) -> list[Artifact]:
        """Every finished build, newest first."""
        found = [self.find(path.name) for path in _dirs(self._builds)]
        artifacts = [artifact for artifact in found if artifact is not None]
        artifacts.sort(key=lambda a: (a.ref.created_at, a.ref.digest), reverse=True)
        return artifacts

    @contextmanager
    def stage(self) -> Iterator[Stage]:
        """A fresh staging dir, pinned for as long as the block runs and removed after it."""
        with self.locked():  # so that prune never sees a stage before its pin is held
            passage(self._tmp)
            path = Path(tempfile.mkdtemp(dir=self._tmp, prefix="build-"))
            os.chmod(path, 0o711)  # the app's account builds in it, as its own
            pin = FileLock(path / ".pin")
            pin.acquire()
        try:
            stage = Stage(path)
            stage.app.mkdir(parents=True)
            yield stage
        finally:
            shutil.rmtree(path, ignore_errors=True)
            pin.release()

    def pin(self, stage: Stage, deps_key: str) -> None:
        """Record the deps env `stage` uses, so prune keeps it until the build is published."""
        with self.locked():
            (stage.path / "deps_key").write_text(deps_key)

    def publish(
        self, stage: Stage, meta: Mapping[str, Any], *, seal: Callable[[Path], None]
    ) -> bool:
        """Move the staged build into place, `seal`ed (nobody may change it from then on);
        False when an identical build got there first."""
        atomic_write(stage.build_dir / "build.json", json.dumps(meta, indent=2, sort_keys=True))
        seal(stage.build_dir)
        target = self._builds / _hex(str(meta["digest"]))
        with self.locked():
            if target.exists():
                return False
            passage(self._builds)
            os.rename(stage.build_dir, target)
        return True

    def remove(self, digest: str) -> None:
        """Delete a build; call with the store lock held."""
        trash = self._tmp / f"trash-{secrets.token_hex(8)}"
        self._tmp.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(self._builds / _hex(digest), trash)  # out of sight first, then delete
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def sweep_stages(self) -> set[str]:
        """Remove stages of builds that died; return the deps keys live builds use.

        Call with the store lock held."""
        live_keys: set[str] = set()
        for path in _dirs(self._tmp):
            pin = FileLock(path / ".pin")
            if pin.acquire(blocking=False):
                pin.release()
                shutil.rmtree(path, ignore_errors=True)
            elif (path / "deps_key").is_file():
                live_keys.add((path / "deps_key").read_text().strip())
        return live_keys

    def _artifact(self, meta: Mapping[str, Any]) -> Artifact:
        ref = BuildRef(meta["digest"], meta["kind"], meta["created_at"], meta.get("git_sha"))
        deps_key = meta.get("deps_key")
        return Artifact(
            ref=ref,
            app_dir=self._builds / _hex(ref.digest) / "app",
            env=dict(meta.get("env", {})),
            deps_key=deps_key,
            reused_deps=deps_key is not None,  # an existing build's env is, by now, cached
        )


def passage(path: Path) -> None:
    """A directory of the store that app accounts pass through to their own builds: 0711,
    so none of them may list what other apps have."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o711)


def _hex(digest: str) -> str:
    return digest.removeprefix("sha256:")


def _dirs(path: Path) -> list[Path]:
    try:
        return [child for child in path.iterdir() if child.is_dir() and not child.is_symlink()]
    except FileNotFoundError:
        return []
