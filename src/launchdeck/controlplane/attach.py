"""Add-ons at deploy time: start what the manifest asks for and store the URLs as the
environment's secret config vars, before its release is made (so the release command and every
instance get them); a failure ends the deployment with nothing changed."""

from __future__ import annotations

from dataclasses import replace

from launchdeck.controlplane.journal import Journal
from launchdeck.controlplane.store import EnvState
from launchdeck.domain import Addons, Deployment, DeploymentState
from launchdeck.drivers.local.addons import AddonError, AddonHost, Attachment


class Attacher:
    def __init__(self, journal: Journal, addons: AddonHost | None) -> None:
        self.journal, self.addons = journal, addons
        self.store, self.redactors = journal.store, journal.redactors

    def attach(self, dep: Deployment, addons: Addons) -> bool:
        if self.addons is None or (addons.postgres is None and addons.redis is None):
            return True
        try:
            attached = self.addons.attach(dep.app, dep.env, addons)
        except AddonError as exc:
            self.journal.finish(dep, DeploymentState.FAILED, f"add-on failed: {exc}")
            return False
        for a in attached:
            self.journal.event(dep, "addon", f"{label(a)} {a.name} ready: {a.var}")
        env = self.store.env(dep.app, dep.env)
        if env is not None:
            self.store_urls(env, {a.var: a.url for a in attached})
        return True

    def store_urls(self, env: EnvState, urls: dict[str, str]) -> bool:
        """Set the add-ons' URLs as secret config vars; True when something changed."""
        if not changes(env, urls):
            return False
        config = {**env.config, **urls}
        self.store.save_env(replace(env, config=config, secrets=env.secrets | set(urls)))
        self.redactors.forget(env.app, env.name)
        return True


def changes(env: EnvState, urls: dict[str, str]) -> bool:
    return not all(env.config.get(k) == v and k in env.secrets for k, v in urls.items())


def label(a: Attachment) -> str:
    return f"PostgreSQL {a.version} database" if a.kind == "postgres" else "Redis"
