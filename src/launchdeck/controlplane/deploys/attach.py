"""Add-ons at deploy time: start what the manifest asks for and store the URLs as the
environment's secret config vars, before its release is made (so the release command and every
instance get them); a failure ends the deployment with nothing changed."""

from __future__ import annotations

from dataclasses import replace

from launchdeck.controlplane.deploys.journal import Journal
from launchdeck.controlplane.ports import AddonServers
from launchdeck.controlplane.store import EnvState
from launchdeck.domain import Addons, Attachment, Deployment, DeploymentState, EventKind
from launchdeck.system.errors import LaunchdeckError


class Attacher:
    def __init__(self, journal: Journal, addons: AddonServers | None) -> None:
        self.journal, self.addons = journal, addons
        self.store, self.redactors = journal.store, journal.redactors

    def attach(self, dep: Deployment, addons: Addons) -> bool:
        if self.addons is None or (addons.postgres is None and addons.redis is None):
            return True
        try:
            attached = self.addons.attach(dep.app, dep.env, addons)
        except LaunchdeckError as exc:  # an add-on error, with its fix
            self.journal.finish(dep, DeploymentState.FAILED, f"add-on failed: {exc}")
            return False
        for a in attached:
            self.journal.event(dep, EventKind.ADDON, f"{label(a)} {a.name} ready: {a.var}")
        self.store.update_env(dep.app, dep.env, lambda env: with_urls(env, attached))
        self.redactors.forget(dep.app, dep.env)
        return True


def with_urls(env: EnvState, attached: list[Attachment]) -> EnvState:
    """`env` with the add-ons' URLs as secret config vars (itself when it has them already)."""
    urls = {a.var: a.url for a in attached}
    if not changes(env, urls):
        return env
    return replace(env, config={**env.config, **urls}, secrets=env.secrets | set(urls))


def changes(env: EnvState, urls: dict[str, str]) -> bool:
    return not all(env.config.get(k) == v and k in env.secrets for k, v in urls.items())


def label(a: Attachment) -> str:
    return f"PostgreSQL {a.version} database" if a.kind == "postgres" else "Redis"
