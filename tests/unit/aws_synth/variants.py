"""The manifests every synth test and lint gate runs on: examples/hello and the three kept here."""

from __future__ import annotations

from pathlib import Path

from launchdeck.domain import Manifest
from launchdeck.drivers.aws.synth import Template, stack_names, synth_env, synth_shared
from launchdeck.manifest import load_manifest, parse_manifest

ROOT = Path(__file__).parents[3]
HERE = Path(__file__).parent / "manifests"
ENVS = ("staging", "production")


def manifest(name: str) -> Manifest:
    """`hello` (examples/hello) or one of manifests/<name>.toml: web, full, cdn, workers."""
    if name == "hello":
        return load_manifest(ROOT / "examples" / "hello")
    return parse_manifest((HERE / f"{name}.toml").read_text(), source=f"{name}.toml")


VARIANTS = ("hello", "web", "full", "cdn", "workers")


def all_templates() -> dict[str, Template]:
    """stack name -> template, for the shared stack and both environments of every variant."""
    templates = {}
    for name in VARIANTS:
        m = manifest(name)
        assert m.app is not None
        templates[stack_names(m.app, "staging")[0]] = synth_shared(m)
        for env in ENVS:
            templates[stack_names(m.app, env)[1]] = synth_env(m, env)
    return templates
