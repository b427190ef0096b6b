"""Finding what a request names, and what only the server can check of a manifest."""

from __future__ import annotations

from launchdeck.controlplane.domains import check_manifest_domains
from launchdeck.controlplane.errors import Invalid, unknown_app, unknown_env
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.controlplane.store import EnvState
from launchdeck.domain import NAME_RE, Manifest
from launchdeck.manifest import ManifestError
from launchdeck.manifest.rules import scale_cap_issues


def app_of(cp: ControlPlane, name: str) -> str:
    if not cp.store.app_exists(name):
        raise unknown_app(name)
    return name


def env_of(cp: ControlPlane, app: str, env: str) -> EnvState:
    app_of(cp, app)
    state = cp.store.env(app, env)
    if state is None:
        raise unknown_env(app, env, [e.name for e in cp.store.envs(app)])
    return state


def declared_env(cp: ControlPlane, app: str, env: str, manifest: Manifest) -> EnvState:
    """The environment to deploy to; one the manifest declares is created on first use, once
    `manifest` passed the checks only the server can make."""
    state = cp.store.env(app, env)
    new = state is None and env in manifest.environments and bool(NAME_RE.fullmatch(env))
    target = EnvState(app, env) if new else (state or env_of(cp, app, env))
    check_deployable(cp, target, manifest)
    if new:
        target = cp.store.create_env(target)  # a deploy racing this one may have made it
    return target


def check_deployable(cp: ControlPlane, env: EnvState, manifest: Manifest) -> None:
    """What the manifest may ask of this server: scale within its cap, and hostnames that are
    the environment's to claim. Refused before anything is recorded."""
    over = scale_cap_issues(manifest, cp.settings.max_scale)
    if over:
        raise Invalid(str(ManifestError(over)), "lower the scale in launchdeck.toml")
    check_manifest_domains(cp.store, env, manifest)
