"""Python buildpack: a venv per requirements hash, filled by the builder's own pip.

`pip --python <venv>` lets one pip serve every venv, so venvs are made `--without-pip` (fast).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from launchdeck.build.errors import BuildError
from launchdeck.build.hashing import key_of
from launchdeck.build.steps import Log, run, stream
from launchdeck.system import OPEN, Command, Jail, Runner

# Venvs link to the base interpreter, so one is reusable by any interpreter of the same
# installation and version; patch releases of it keep the venv valid.
_PROBE = (
    "import platform as p, sys as s; print(s.implementation.cache_tag, p.machine(), s.base_prefix)"
)

_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)(?:\s+|\s*=\s*)?(\S+)")


class PythonPack:
    label = "Python"

    def __init__(self, *, runner: Runner, python: str, environ: Mapping[str, str]) -> None:
        self._runner = runner
        self._python = python
        self._environ = environ
        self._base_path = environ.get("PATH", os.defpath)
        self._interpreter: str | None = None

    def deps_key(self, app: Path) -> str | None:
        requirements = app / "requirements.txt"
        if requirements.is_file():
            basis = _requirement_files(requirements, seen=set())
        else:
            basis = ["pyproject.toml", "\n".join(_pyproject_deps(app))]
        return key_of("python", self._interpreter_id(), *basis)

    def install(self, app: Path, env_dir: Path, log: Log, *, jail: Jail = OPEN) -> None:
        argv = (self._python, "-m", "venv", "--without-pip", str(env_dir))
        venv = jail.confine(Command(argv, env=self._environ), writable=(env_dir,))
        fix = "check that this Python can create venvs (Debian: apt install python3-venv)"
        run(self._runner, venv, what=f"{self._python} -m venv", fix=fix)
        requirements = app / "requirements.txt"
        if requirements.is_file():
            if not _lists_requirements(requirements.read_text(errors="replace")):
                log("-----> requirements.txt is empty: nothing to install")
                return
            log("-----> Installing requirements")
            self._pip(app, env_dir, ("-r", "requirements.txt"), log, "requirements.txt", jail)
            return
        packages = _pyproject_deps(app)
        if packages:
            log("-----> Installing [project].dependencies from pyproject.toml")
            what = "pyproject.toml [project].dependencies"
            self._pip(app, env_dir, ("--", *packages), log, what, jail)
        else:
            log("-----> No dependencies declared: nothing to install")

    def link(self, app: Path, deps_dir: Path) -> None:
        pass

    def env(self, app: Path, deps_dir: Path | None) -> dict[str, str]:
        assert deps_dir is not None, "a Python app always has a venv"
        return {
            "VIRTUAL_ENV": str(deps_dir),
            "PATH": f"{deps_dir / 'bin'}:{self._base_path}",
            "PYTHONUNBUFFERED": "1",  # logs reach `launchdeck logs` as they are written
        }

    def _pip(
        self, app: Path, env_dir: Path, args: tuple[str, ...], log: Log, what: str, jail: Jail
    ) -> None:
        command = Command(
            (
                self._python,
                "-m",
                "pip",
                "--python",
                str(env_dir / "bin" / "python"),
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--progress-bar",
                "off",
                *args,
            ),
            cwd=app,  # relative paths in requirements.txt name files of the app
            env=self._environ,
        )
        # pip runs setup.py of source packages: app code, confined like any other
        command = jail.confine(command, writable=(env_dir, app))
        stream(self._runner, command, log, what="pip install", fix=f"fix {what} and build again")

    def _interpreter_id(self) -> str:
        if self._interpreter is None:
            probe = Command((self._python, "-c", _PROBE), env=self._environ)
            fix = "pass a working Python interpreter"
            result = run(self._runner, probe, what=f"{self._python} -c", fix=fix)
            self._interpreter = result.stdout.strip()
        return self._interpreter


def _pyproject_deps(app: Path) -> list[str]:
    path = app / "pyproject.toml"
    if not path.is_file():
        return []
    try:
        project = tomllib.loads(path.read_text()).get("project", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: invalid TOML ({exc}): fix the syntax") from None
    deps = project.get("dependencies", []) if isinstance(project, dict) else []
    if not isinstance(deps, list) or not all(isinstance(dep, str) for dep in deps):
        raise BuildError(f"{path}: [project].dependencies should be a list of strings")
    return sorted(deps)


def _requirement_files(path: Path, *, seen: set[Path]) -> list[str | bytes]:
    """Name and content of a requirements file and of those it includes (-r / -c), which
    change the env just as much."""
    seen.add(path)
    content = path.read_bytes()
    parts: list[str | bytes] = [path.name, content]
    for line in content.decode(errors="replace").splitlines():
        match = _INCLUDE.match(line)
        included = (path.parent / match.group(1)).resolve() if match else None
        if included is not None and included.is_file() and included not in seen:
            parts += _requirement_files(included, seen=seen)
    return parts


def _lists_requirements(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("#") for line in text.splitlines())
