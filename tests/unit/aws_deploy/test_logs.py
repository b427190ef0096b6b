from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice

from launchdeck.awsdeploy import Waits, deploy, logs
from tests.unit.aws_deploy.fakes import DIGEST_A, REGISTRY, World, env_template, shared_template

SERVICES = ["web", "worker"]
WEB = "/launchdeck/shop-staging/web"
WORKER = "/launchdeck/shop-staging/worker"


def deployed() -> World:
    world = World()
    world.push(DIGEST_A)
    deploy(
        world.aws,
        "shop",
        "staging",
        SERVICES,
        shared_template(),
        env_template(),
        f"{REGISTRY}/launchdeck/shop/web@{DIGEST_A}",
        confirm=lambda _: True,
        clock=world.clock,
        waits=Waits(),
    )
    return world


def ms(world: World, seconds_ago: float) -> int:
    return int((world.clock.now() - seconds_ago) * 1000)


def test_logs_merge_the_services_in_time_order_from_since() -> None:
    world = deployed()
    world.logs.add(WEB, ms(world, 7200), "too old")
    world.logs.add(WEB, ms(world, 30), "GET / 200")
    world.logs.add(WORKER, ms(world, 40), "job 1 done")
    world.logs.add(WEB, ms(world, 10), "GET /health 200")

    lines = list(
        logs(world.aws, "shop", "staging", SERVICES, since=timedelta(hours=1), clock=world.clock)
    )

    assert [(line.service, line.message) for line in lines] == [
        ("worker", "job 1 done"),
        ("web", "GET / 200"),
        ("web", "GET /health 200"),
    ]
    assert lines[0].timestamp == datetime.fromtimestamp(ms(world, 40) / 1000, UTC)
    assert str(lines[1]).endswith(" web GET / 200")


def test_follow_polls_on_the_clock_and_gives_each_line_once() -> None:
    world = deployed()
    start = world.clock.now()
    world.logs.add(WEB, ms(world, 5), "first")
    arrivals = iter(
        [
            (WEB, "second"),  # after the first poll
            (WORKER, "third"),  # after the second
        ]
    )

    def arrive() -> None:
        group, message = next(arrivals, (None, None))
        if group:
            world.logs.add(group, int(world.clock.now() * 1000), message)

    world.clock.on_sleep.append(arrive)

    followed = logs(
        world.aws,
        "shop",
        "staging",
        SERVICES,
        since=timedelta(minutes=1),
        follow=True,
        clock=world.clock,
        poll=2.0,
    )
    got = [(line.service, line.message) for line in islice(followed, 3)]

    assert got == [("web", "first"), ("web", "second"), ("worker", "third")]
    assert world.clock.now() - start == 4.0  # two polls of 2 s, on the fake clock
    # an event at the exact millisecond already read is not given again
    same_ms = world.logs.groups[WORKER][-1].timestamp_ms
    world.logs.add(WORKER, same_ms, "fourth, same millisecond")
    assert [line.message for line in islice(followed, 1)] == ["fourth, same millisecond"]
