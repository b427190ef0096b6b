"""Custom domains: `domains add|remove` on an environment, besides those its manifest names.

A domain routes to the environment's primary service (`web`) at once, without a new release
(as on Heroku); the router is changed now when no deployment is running, else by the reconciler
as soon as it is done. One domain belongs to one environment.

The hostnames launchdeck generates (`<app>-<env>.localhost`, `<app>-<env>-<service>.localhost`)
belong to their environment: no other may claim one, by `domains add` or a manifest's
`domains`, and no other name under `.localhost` may be claimed at all. A deploy whose own
generated names would be another environment's is refused too (`shop` + `prod-eu` and
`shop-prod` + `eu` would share `shop-prod-eu.localhost`).

`domains add|remove` check and change inside the environment's update (one transaction holding
the database's write lock), so two environments cannot both claim one domain at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.errors import Conflict, Invalid, NotFound
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import Manifest, app_host, service_hosts
from launchdeck.manifest.values.fieldtypes import HOSTNAME_RE

GENERATED_ZONE = ".localhost"  # launchdeck's own names: <app>-<env>[-<service>].localhost
Owner = tuple[str, str]  # (app, environment)


def domains_json(deployments: Deployments, env: EnvState) -> list[dict[str, Any]]:
    release = deployments.store.release(env.app, env.name, env.release) if env.release else None
    from_manifest = release.domains if release else ()
    rows = [{"domain": d, "source": "manifest"} for d in from_manifest]
    rows += [{"domain": d, "source": "cli"} for d in env.domains if d not in from_manifest]
    return rows


def add_domain(deployments: Deployments, env: EnvState, host: str) -> EnvState:
    host = host.strip().lower().rstrip(".")
    if not HOSTNAME_RE.fullmatch(host):
        raise Invalid(f"domain {host!r} is not a hostname", "use a hostname like 'api.example.com'")

    def add(state: EnvState) -> EnvState:
        if claim(
            deployments.store, (state.app, state.name), host, generated_hosts(deployments.store)
        ):
            return state
        return replace(state, domains=(*state.domains, host))

    return _apply(deployments, env, add)


def check_manifest_domains(store: Store, env: EnvState, manifest: Manifest) -> None:
    """A deploy of `manifest` to `env`, refused before anything changes when a `domains` entry
    of `[environments.<env>]` is not the environment's to claim, or when a hostname the deploy
    would generate for it is already another environment's. Errors name the field."""
    generated = generated_hosts(store)
    here = (env.app, env.name)
    _, domains = manifest.defaults_for(env.name)
    for i, host in enumerate(domains):
        claim(
            store,
            here,
            host,
            generated,
            where=f"launchdeck.toml: environments.{env.name}.domains.{i}: ",
        )
    check_generated_free(store, env.app, env.name, manifest.services, generated)


def check_generated_free(
    store: Store,
    app: str,
    env: str,
    services: Iterable[str] = (),
    generated: dict[str, Owner] | None = None,
) -> None:
    """Refuse (409) when a hostname launchdeck would generate for `app`/`env` (and these
    services) is already another environment's, generated or added."""
    generated = generated_hosts(store) if generated is None else generated
    for host in hosts_of(app, env, services):
        owner = generated.get(host) or _custom_owner(store, host)
        if owner is not None and owner != (app, env):
            raise Conflict(
                f"app {app}, environment {env} would answer at {host!r}, which is already "
                f"{_whose(store, host, owner)}",
                "pick app, environment and service names whose generated hostnames differ",
            )


def claim(
    store: Store, env: Owner, host: str, generated: dict[str, Owner], *, where: str = ""
) -> bool:
    """Whether `host` is `env`'s already (generated or added); raise if another environment
    has it or if it is a name under .localhost that launchdeck did not generate."""
    owner = generated.get(host)
    if owner is not None and owner != env:
        raise Conflict(
            f"{where}domain {host!r} is reserved: it is the generated hostname of "
            f"app {owner[0]}, environment {owner[1]}",
            f"use a domain of your own, e.g. 'api.example.com' (launchdeck url --app {env[0]} "
            f"--env {env[1]} prints this environment's own address)",
        )
    if owner is None and host.endswith(GENERATED_ZONE):
        raise Invalid(
            f"{where}domain {host!r} is under {GENERATED_ZONE}, where launchdeck names "
            "environments itself (<app>-<env>.localhost)",
            "use a real domain, e.g. 'api.example.com'",
        )
    custom = _custom_owner(store, host)
    if custom is not None and custom != env:
        raise Conflict(
            f"{where}domain {host!r} already routes to {custom[0]}/{custom[1]}",
            f"remove it there first: launchdeck domains remove {host} --app {custom[0]} "
            f"--env {custom[1]}",
        )
    return owner == env or custom == env


def remove_domain(deployments: Deployments, env: EnvState, host: str) -> EnvState:
    def remove(state: EnvState) -> EnvState:
        if host not in state.domains:
            raise _not_removable(deployments.store, state, host)
        return replace(state, domains=tuple(d for d in state.domains if d != host))

    return _apply(deployments, env, remove)


def _not_removable(store: Store, env: EnvState, host: str) -> Invalid | NotFound:
    release = store.release(env.app, env.name, env.release) if env.release else None
    if release is not None and host in release.domains:
        return Invalid(
            f"domain {host!r} comes from launchdeck.toml",
            f"remove it from [environments.{env.name}] domains and deploy",
        )
    return NotFound(f"{env.app}/{env.name} has no domain {host!r}", "see: launchdeck domains list")


def generated_hosts(store: Store) -> dict[str, Owner]:
    """Every hostname launchdeck gives an existing environment, and whose it is: the
    environment's own, and one per service of its current release (routed or not yet)."""
    hosts: dict[str, Owner] = {}
    for env in store.envs():
        release = store.release(env.app, env.name, env.release) if env.release else None
        for host in hosts_of(env.app, env.name, release.services if release else ()):
            hosts.setdefault(host, (env.app, env.name))
    return hosts


def hosts_of(app: str, env: str, services: Iterable[str]) -> tuple[str, ...]:
    named = (h for service in services for h in service_hosts(app, env, service, primary=False))
    return (app_host(app, env), *named)


def _whose(store: Store, host: str, owner: Owner) -> str:
    kind = "a domain of" if _custom_owner(store, host) == owner else "the generated hostname of"
    return f"{kind} app {owner[0]}, environment {owner[1]}"


def _custom_owner(store: Store, host: str) -> Owner | None:
    for other in store.envs():
        release = store.release(other.app, other.name, other.release) if other.release else None
        if host in other.domains or (release is not None and host in release.domains):
            return other.app, other.name
    return None


def _apply(
    deployments: Deployments, env: EnvState, change: Callable[[EnvState], EnvState]
) -> EnvState:
    """Change the environment's domains; when they changed and no deployment holds the
    environment, tell the router now (else the reconciler does once the deployment is done)."""
    before: list[EnvState] = []

    def recorded(state: EnvState) -> EnvState:
        before[:] = [state]
        return change(state)

    env = deployments.store.update_env(env.app, env.name, recorded)
    if before == [env]:
        return env  # nothing changed: the router has it already
    worker = deployments.workers[(env.app, env.name)]
    if env.release is not None and worker.lock.acquire(blocking=False):
        try:
            deployments.ensure_backends(env, deployments.release_of(env, env.release))
        finally:
            worker.lock.release()
    return env
