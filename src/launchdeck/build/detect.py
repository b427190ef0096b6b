"""Which buildpack a source tree needs, from file names alone (the manifest package parses)."""

from __future__ import annotations

from pathlib import Path

from launchdeck.build.errors import BuildError
from launchdeck.domain import BuildSpec

KINDS = ("python", "node", "generic")
PYTHON_MARKERS = ("requirements.txt", "pyproject.toml")
NODE_MARKERS = ("package.json",)
APP_MARKERS = ("launchdeck.toml", "Procfile", *PYTHON_MARKERS, *NODE_MARKERS)


def detect_kind(source: Path, spec: BuildSpec) -> str:
    """The buildpack for `source`: spec.kind when set, else guessed from marker files."""
    if not source.is_dir():
        raise BuildError(f"{source}: no such directory: pass the root directory of the app")
    if not any((source / name).is_file() for name in APP_MARKERS):
        raise BuildError(
            f"{source}: no recognizable app: expected a launchdeck.toml or Procfile "
            "(and requirements.txt / pyproject.toml for Python, package.json for Node)"
        )
    if spec.kind is not None:
        if spec.kind not in KINDS:
            kinds = ", ".join(KINDS)
            raise BuildError(f"build.kind: should be one of {kinds} (got {spec.kind!r})")
        return spec.kind
    if any((source / name).is_file() for name in PYTHON_MARKERS):
        return "python"
    if any((source / name).is_file() for name in NODE_MARKERS):
        return "node"
    return "generic"
