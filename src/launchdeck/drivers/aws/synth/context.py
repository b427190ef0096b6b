"""What every part of an environment stack needs to know, resolved once from the manifest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from launchdeck.domain import AwsSettings, Manifest, ServiceSpec
from launchdeck.drivers.aws.names import env_stack
from launchdeck.drivers.aws.regions import REGIONS, Region
from launchdeck.drivers.aws.synth.naming import PRODUCTION, env_domain


@dataclass(frozen=True)
class Env:
    app: str
    name: str
    manifest: Manifest  # with [environments.<name>] applied
    region: Region
    domain: str | None

    @property
    def aws(self) -> AwsSettings:
        return self.manifest.aws

    @property
    def production(self) -> bool:
        return self.name == PRODUCTION

    @property
    def stack(self) -> str:
        return env_stack(self.app, self.name)

    @property
    def config(self) -> Mapping[str, str]:
        override = self.manifest.environments.get(self.name)
        return override.config if override else {}

    @property
    def services(self) -> list[ServiceSpec]:
        return list(self.manifest.services.values())

    @property
    def routed(self) -> list[ServiceSpec]:
        """Services behind the load balancer; the first is the default (`web` when routed)."""
        routed = [spec for spec in self.services if spec.routed]
        return sorted(routed, key=lambda spec: spec.name != "web")

    @property
    def canary(self) -> list[ServiceSpec]:
        """The routed services a canary `[deploy]` shifts traffic for (those in its `services`,
        else all); none when the environment rolls out."""
        deploy = self.manifest.deploy
        if not deploy.canary:
            return []
        return [s for s in self.routed if deploy.services is None or s.name in deploy.services]

    def host(self, spec: ServiceSpec) -> str | None:
        """The host name a non-default routed service answers on: `<service>.<domain>`."""
        if self.domain is None or spec is self.routed[0]:
            return None
        return f"{spec.name}.{self.domain}"


def resolve(manifest: Manifest, env: str) -> Env:
    """The Env for a manifest that passed validate()."""
    assert manifest.app is not None
    merged = manifest.for_env(env)
    return Env(
        app=manifest.app,
        name=env,
        manifest=merged,
        region=REGIONS[merged.aws.region],
        domain=env_domain(manifest, env),
    )
