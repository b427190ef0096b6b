"""Node buildpack: `npm ci --omit=dev` once per lockfile, linked into each app as node_modules."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from launchdeck.build.errors import BuildError, tail
from launchdeck.build.hashing import key_of
from launchdeck.build.steps import Log, run, stream
from launchdeck.system import OPEN, Command, Jail, Runner

LOCKFILES = ("npm-shrinkwrap.json", "package-lock.json")  # npm prefers the shrinkwrap
# package.json fields that change what `npm ci` installs; scripts and metadata do not, so
# editing them keeps the cached env.
_DEPENDENCY_FIELDS = (
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "bundleDependencies",
    "overrides",
    "workspaces",
)


class NodePack:
    label = "Node.js"

    def __init__(self, *, runner: Runner, environ: Mapping[str, str]) -> None:
        self._runner = runner
        self._environ = environ
        self._base_path = environ.get("PATH", os.defpath)
        self._node: str | None = None

    def deps_key(self, app: Path) -> str | None:
        manifest = _package_json(app)
        lockfile = _lockfile(app)
        fields = json.dumps({k: manifest.get(k) for k in _DEPENDENCY_FIELDS}, sort_keys=True)
        return key_of("node", self._node_version(), lockfile.name, lockfile.read_bytes(), fields)

    def install(self, app: Path, env_dir: Path, log: Log, *, jail: Jail = OPEN) -> None:
        # npm ci works on package.json + lockfile alone; installing beside a copy of them
        # (not inside the app) is what lets every build with this lockfile share the result.
        shutil.copyfile(app / "package.json", env_dir / "package.json")
        lockfile = _lockfile(app)
        shutil.copyfile(lockfile, env_dir / lockfile.name)
        jail.lend(env_dir)  # the copies are ours until now
        log(f"-----> Installing dependencies from {lockfile.name} (npm ci --omit=dev)")
        command = Command(
            ("npm", "ci", "--omit=dev", "--no-audit", "--no-fund"),
            cwd=env_dir,
            env={**self._environ, "NODE_ENV": "production"},
        )
        command = jail.confine(command, writable=(env_dir,))  # install scripts are app code
        fix = f"fix package.json / {lockfile.name} and build again"
        stream(self._runner, command, log, what="npm ci", fix=fix, summary=_npm_errors)
        # npm creates no node_modules when there is nothing to install; the app links to it.
        (env_dir / "node_modules").mkdir(exist_ok=True)

    def link(self, app: Path, deps_dir: Path) -> None:
        (app / "node_modules").symlink_to(deps_dir / "node_modules")

    def env(self, app: Path, deps_dir: Path | None) -> dict[str, str]:
        return {
            "NODE_ENV": "production",
            "PATH": f"{app / 'node_modules' / '.bin'}:{self._base_path}",
        }

    def _node_version(self) -> str:
        if self._node is None:
            probe = Command(("node", "--version"), env=self._environ)
            fix = "check the Node.js install on the build host"
            self._node = run(self._runner, probe, what="node --version", fix=fix).stdout.strip()
        return self._node


def _package_json(app: Path) -> dict[str, Any]:
    path = app / "package.json"
    if not path.is_file():
        raise BuildError(f"{app}: no package.json: a Node.js app needs one, and its lockfile")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: invalid JSON ({exc}): fix the syntax") from None
    if not isinstance(data, dict):
        raise BuildError(f"{path}: should be a JSON object")
    return data


def _lockfile(app: Path) -> Path:
    for name in LOCKFILES:
        if (app / name).is_file():
            return app / name
    raise BuildError(
        f"{app}: package-lock.json is missing: run `npm install` and commit package-lock.json"
    )


def _npm_errors(output: str) -> str:
    """npm follows the error that matters with pages of usage text: keep the error."""
    lines = output.strip().splitlines()
    first = next((n for n, line in enumerate(lines) if line.startswith("npm error")), None)
    return tail(output) if first is None else "\n".join(lines[first : first + 20])
