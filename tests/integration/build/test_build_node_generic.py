"""Node builds with the real npm (no dependencies, so no network) and generic builds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.integration.build.apps import leftovers, node_app, write

from launchdeck.build import Builder, BuildError
from launchdeck.domain import BuildSpec

pytestmark = pytest.mark.integration

# npm never needs the network here; offline mode makes sure it does not try.
OFFLINE = {**os.environ, "npm_config_offline": "true"}


def test_node_app_with_lockfile(tmp_path: Path) -> None:
    app = node_app(tmp_path / "app")
    builder = Builder(tmp_path / "root", environ=OFFLINE)
    lines: list[str] = []
    artifact = builder.build(app, BuildSpec(command="npm run build"), log=lines.append)
    assert artifact.ref.kind == "node"
    assert artifact.env["NODE_ENV"] == "production"
    assert artifact.env["PATH"].startswith(f"{artifact.app_dir / 'node_modules' / '.bin'}:")
    # The build command ran with NODE_ENV set, and its products are part of the artifact.
    assert (artifact.app_dir / "dist" / "out.txt").read_text() == "production"
    node_modules = artifact.app_dir / "node_modules"
    assert node_modules.is_symlink() and node_modules.is_dir()
    assert lines[0] == "-----> Node.js app detected"
    assert "-----> Running build command: npm run build" in lines
    (app / "server.js").write_text("console.log('v2')\n")
    second = builder.build(app, BuildSpec(command="npm run build"))
    assert (second.reused_deps, second.deps_key) == (True, artifact.deps_key)
    assert second.ref.digest != artifact.ref.digest


def test_node_app_without_lockfile(tmp_path: Path) -> None:
    app = node_app(tmp_path / "app", lock=False)
    with pytest.raises(BuildError) as info:
        Builder(tmp_path / "root", environ=OFFLINE).build(app, BuildSpec())
    assert str(info.value) == (
        f"{app}: package-lock.json is missing: run `npm install` and commit package-lock.json"
    )
    assert leftovers(tmp_path / "root") == []


def test_lockfile_out_of_sync_fails_and_leaves_no_env(tmp_path: Path) -> None:
    app = node_app(tmp_path / "app")
    package = json.loads((app / "package.json").read_text())
    (app / "package.json").write_text(json.dumps({**package, "dependencies": {"left-pad": "1"}}))
    with pytest.raises(BuildError) as info:
        Builder(tmp_path / "root", environ=OFFLINE).build(app, BuildSpec())
    assert str(info.value).startswith(
        "npm ci failed (exit 1): fix package.json / package-lock.json"
    )
    # "not in sync" with a warm npm cache, "not cached" with a cold one: npm's error either way
    assert info.value.log_tail.startswith("npm error code E")
    assert leftovers(tmp_path / "root") == []


def test_generic_app_with_a_command(tmp_path: Path) -> None:
    app = write(tmp_path / "app", {"Procfile": "web: ./bin/serve\n"})
    command = "mkdir bin && printf '#!/bin/sh\\necho served\\n' > bin/serve && chmod +x bin/serve"
    lines: list[str] = []
    artifact = Builder(tmp_path / "root", environ=OFFLINE).build(
        app, BuildSpec(command=command), log=lines.append
    )
    assert (artifact.ref.kind, artifact.env, artifact.deps_key) == ("generic", {}, None)
    serve = artifact.app_dir / "bin" / "serve"
    assert os.access(serve, os.X_OK)
    assert not (app / "bin").exists()  # the source tree is never written to
    assert lines[-2:] == [
        f"-----> Running build command: {command}",
        f"-----> Build {artifact.ref.digest} ready",
    ]


def test_failing_build_command(tmp_path: Path) -> None:
    app = write(tmp_path / "app", {"Procfile": "web: ./serve\n"})
    lines: list[str] = []
    with pytest.raises(BuildError) as info:
        Builder(tmp_path / "root", environ=OFFLINE).build(
            app, BuildSpec(command="echo compiling; echo broken >&2; exit 3"), log=lines.append
        )
    assert str(info.value) == (
        "build command `echo compiling; echo broken >&2; exit 3` failed (exit 3): "
        "fix it and build again"
    )
    assert info.value.log_tail == "compiling\nbroken"
    assert lines[-2:] == ["       compiling", "       broken"]
    assert leftovers(tmp_path / "root") == []
