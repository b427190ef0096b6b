"""Custom domains: `domains add|remove` on an environment, besides those its manifest names.

A domain routes to the environment's primary service (`web`) at once, without a new release
(as on Heroku); the router is changed now when no deployment is running, else by the reconciler
as soon as it is done. One domain belongs to one environment."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from launchdeck.controlplane.engine import Engine
from launchdeck.controlplane.errors import Conflict, Invalid, NotFound
from launchdeck.controlplane.store import EnvState
from launchdeck.manifest.fieldtypes import HOSTNAME_RE


def domains_json(engine: Engine, env: EnvState) -> list[dict[str, Any]]:
    release = engine.store.release(env.app, env.name, env.release) if env.release else None
    from_manifest = release.domains if release else ()
    rows = [{"domain": d, "source": "manifest"} for d in from_manifest]
    rows += [{"domain": d, "source": "cli"} for d in env.domains if d not in from_manifest]
    return rows


def add_domain(engine: Engine, env: EnvState, host: str) -> EnvState:
    host = host.strip().lower().rstrip(".")
    if not HOSTNAME_RE.match(host):
        raise Invalid(
            f"domain {host!r} is not a hostname", "use a hostname like 'api.example.com'"
        )
    owner = _owner(engine, host)
    if owner == (env.app, env.name):
        return env
    if owner is not None:
        raise Conflict(
            f"domain {host!r} already routes to {owner[0]}/{owner[1]}",
            f"remove it there first: launchdeck domains remove {host} --app {owner[0]} "
            f"--env {owner[1]}",
        )
    return _apply(engine, replace(env, domains=(*env.domains, host)))


def remove_domain(engine: Engine, env: EnvState, host: str) -> EnvState:
    if host not in env.domains:
        release = engine.store.release(env.app, env.name, env.release) if env.release else None
        if release is not None and host in release.domains:
            raise Invalid(
                f"domain {host!r} comes from launchdeck.toml",
                f"remove it from [environments.{env.name}] domains and deploy",
            )
        raise NotFound(
            f"{env.app}/{env.name} has no domain {host!r}", "see: launchdeck domains list"
        )
    return _apply(engine, replace(env, domains=tuple(d for d in env.domains if d != host)))


def _owner(engine: Engine, host: str) -> tuple[str, str] | None:
    for other in engine.store.envs():
        release = (
            engine.store.release(other.app, other.name, other.release) if other.release else None
        )
        if host in other.domains or (release is not None and host in release.domains):
            return other.app, other.name
    return None


def _apply(engine: Engine, env: EnvState) -> EnvState:
    engine.store.save_env(env)
    worker = engine.workers[(env.app, env.name)]
    if env.release is not None and worker.lock.acquire(blocking=False):
        try:
            engine.ensure_backends(env, engine.release_of(env, env.release))
        finally:
            worker.lock.release()
    return env
