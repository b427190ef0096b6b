"""Collector: one pass asks for the instances' figures and their environments' add-ons."""

from __future__ import annotations

from pathlib import Path

from tests.clock import ManualClock
from tests.unit.drivers.metrics.fakes import FakeProc, instance

from launchdeck.drivers.local.metrics import AddonCollector, Collector, ResourceCollector
from launchdeck.drivers.local.metrics.procfs import ProcFS
from launchdeck.drivers.local.redis.server import RedisServer


class NoRedis:
    """Records which environments were asked about; none has a server."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def redis_server(self, app: str, env: str) -> RedisServer | None:
        self.asked.append((app, env))
        return None


def collector(tmp_path: Path, redis: NoRedis) -> tuple[Collector, FakeProc]:
    fake = FakeProc(tmp_path / "proc")
    clock = ManualClock()
    resources = ResourceCollector(proc=ProcFS(fake.root), clock=clock)
    return Collector(resources, AddonCollector(None, redis, clock=clock)), fake


def test_add_ons_of_the_instances_environments_by_default(tmp_path: Path) -> None:
    redis = NoRedis()
    plane, fake = collector(tmp_path, redis)
    fake.add(10)

    samples = plane.collect([instance(10, fake.started_at()), instance(11, fake.started_at())])

    assert {s.name for s in samples} == {"memory_bytes", "memory_limit_bytes", "memory",
                                         "open_fds"}  # fmt: skip
    assert redis.asked == [("shop", "staging")]


def test_add_ons_of_the_environments_named(tmp_path: Path) -> None:
    redis = NoRedis()
    plane, _ = collector(tmp_path, redis)

    assert plane.collect([], {("shop", "production"), ("blog", "staging")}) == []
    assert redis.asked == [("blog", "staging"), ("shop", "production")]
