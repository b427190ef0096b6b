"""The buildpack interface, and the generic pack (an app with no dependency manager)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from launchdeck.build.steps import Log
from launchdeck.system import OPEN, Jail


class Buildpack(Protocol):
    label: str  # "Python", shown as "-----> Python app detected"

    def deps_key(self, app: Path) -> str | None:
        """The cache key of the dependency env `app` needs (None: it needs none)."""
        ...

    def install(self, app: Path, env_dir: Path, log: Log, *, jail: Jail = OPEN) -> None:
        """Fill the empty `env_dir` with the dependencies of `app`, running the package
        manager (which runs code of the packages) in `jail`."""
        ...

    def link(self, app: Path, deps_dir: Path) -> None:
        """Make the dependency env visible from inside the app dir, when the runtime needs it."""
        ...

    def env(self, app: Path, deps_dir: Path | None) -> dict[str, str]:
        """Environment variables the app's processes (and its build command) run with."""
        ...


class GenericPack:
    label = "Generic"

    def deps_key(self, app: Path) -> str | None:
        return None

    def install(self, app: Path, env_dir: Path, log: Log, *, jail: Jail = OPEN) -> None:
        pass

    def link(self, app: Path, deps_dir: Path) -> None:
        pass

    def env(self, app: Path, deps_dir: Path | None) -> dict[str, str]:
        return {}
