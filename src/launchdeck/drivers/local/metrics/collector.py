"""One collection pass over this host: the live instances' resources, and their environments'
add-ons (or the environments the caller names, so one scaled to zero still reports its
database)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from launchdeck.domain import Instance
from launchdeck.domain.metrics import Sample
from launchdeck.drivers.local.addons import AddonHost
from launchdeck.drivers.local.cgroups import Cgroups
from launchdeck.drivers.local.metrics.addons import AddonCollector, Environment
from launchdeck.drivers.local.metrics.resources import ResourceCollector
from launchdeck.drivers.local.redis.known import KnownRedis
from launchdeck.system import SYSTEM_CLOCK, Clock


class Collector:
    def __init__(self, resources: ResourceCollector, addons: AddonCollector | None = None) -> None:
        self.resources, self.addons = resources, addons

    @classmethod
    def local(
        cls, cgroups: Cgroups | None, addons: AddonHost | None, *, clock: Clock = SYSTEM_CLOCK
    ) -> Collector:
        """The collector of the local driver's instances (pass `driver.cgroups`, so the groups
        it made are read) and add-on host."""
        resources = ResourceCollector(cgroups, clock=clock)
        if addons is None:
            return cls(resources)
        return cls(resources, AddonCollector(addons, KnownRedis(addons.root), clock=clock))

    def collect(
        self, instances: Sequence[Instance], environments: Collection[Environment] | None = None
    ) -> list[Sample]:
        """`instances`: the live ones (one not running any more is skipped); `environments`:
        whose add-ons to ask, by default those of `instances`."""
        samples = self.resources.collect(instances)
        if self.addons is not None:
            wanted = environments
            if wanted is None:
                wanted = {(inst.app, inst.env) for inst in instances}
            samples += self.addons.collect(wanted)
        return samples
