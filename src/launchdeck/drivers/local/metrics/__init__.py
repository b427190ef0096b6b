"""Collectors: what instances and add-on servers use, read from the host as `Sample`s.

Owns: reading an instance's cgroup files and its process group's /proc entries (resources.py),
and asking PostgreSQL and Redis for their figures (addons.py); `Collector` runs both for a pass.
Must not import: planning, execution, controlplane, cli (the control plane stores and judges
what these return).
"""

from launchdeck.drivers.local.metrics.addons import AddonCollector, PostgresHost
from launchdeck.drivers.local.metrics.collector import Collector
from launchdeck.drivers.local.metrics.resources import ResourceCollector, Usage, host_memory
from launchdeck.drivers.local.redis.known import RedisServers

__all__ = [
    "AddonCollector",
    "Collector",
    "PostgresHost",
    "RedisServers",
    "ResourceCollector",
    "Usage",
    "host_memory",
]
