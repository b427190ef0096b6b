from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from launchdeck.domain.models import HealthCheck
from launchdeck.drivers.local.router.config import (
    Backend,
    RouterPaths,
    RouterState,
    Server,
    SlotTable,
    check_host_conflicts,
    config_shape,
    render_config,
    render_hosts_map,
    router_threads,
    server_params,
    state_from_json,
    state_to_json,
    validated_backend,
)
from launchdeck.drivers.local.router.errors import InvalidRouterInput

PATHS = RouterPaths(Path("/srv/ld/router"))
HEALTH = HealthCheck(path="/health", interval=1.0, timeout=2.0, healthy=2, unhealthy=3)
STATE = RouterState(
    (
        Backend("blog_staging_web", ("blog-staging.localhost",), None, (Server("blog-1", 5001),)),
        Backend(
            "shop_staging_web",
            ("shop-staging.localhost", "shop.example.com"),
            HEALTH,
            (
                Server("shop-staging-web-ab12cd", 5002),
                Server("shop-staging-web-ef34gh", 5003, "drain"),
                Server("shop-staging-web-ij56kl", 5004, "maint"),
            ),
        ),
    )
)


def render(state: RouterState = STATE) -> list[str]:
    return [
        line.strip()
        for line in render_config(state, PATHS, http_port=8080, bind="127.0.0.1").splitlines()
    ]


def block(lines: list[str], header: str) -> list[str]:
    start = lines.index(header)
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start + 1 : end]


def test_global_runs_an_admin_socket_that_can_pass_listeners() -> None:
    assert block(render(), "global") == [
        "nbthread 1",
        "stats socket /srv/ld/router/admin.sock mode 600 level admin expose-fd listeners",
        "stats timeout 30s",
        "hard-stop-after 30s",
    ]


def test_defaults_retry_and_redispatch_and_keep_idle_connections_through_reloads() -> None:
    defaults = block(render(), "defaults")

    for line in (
        "mode http",
        "option redispatch 1",
        "retries 3",
        "retry-on conn-failure empty-response response-timeout 503",
        "option idle-close-on-response",
        "option forwardfor",
        "http-reuse safe",
        "timeout connect 1s",
        "timeout client 60s",
        "timeout server 60s",
    ):
        assert line in defaults
    assert not any("http-server-close" in line for line in defaults)


def test_frontend_routes_by_host_without_port_and_falls_back_to_404() -> None:
    lines = render()

    assert block(lines, "frontend http") == [
        "bind 127.0.0.1:8080",
        "use_backend %[req.hdr(host),lower,word(1,:),map(/srv/ld/router/hosts.map)]",
        "default_backend _no_app",
    ]
    assert block(lines, "backend _no_app") == [
        "http-request return status 404 content-type text/plain "
        'lf-string "no app is deployed at %[req.hdr(host),lower,word(1,:)]\\n"'
    ]


def test_backend_with_health_checks_every_server_with_its_thresholds() -> None:
    check = "check inter 1000ms fall 3 rise 2"
    assert block(render(), "backend shop_staging_web") == [
        "balance roundrobin",
        "option httpchk",
        "http-check send meth GET uri /health ver HTTP/1.1 hdr Host localhost",
        "http-check expect status 200-399",
        "timeout check 2000ms",
        f"server s1 127.0.0.1:5002 {check}  # shop-staging-web-ab12cd",
        f"server s2 127.0.0.1:5003 {check} weight 0  # shop-staging-web-ef34gh",
        f"server s3 127.0.0.1:5004 {check} disabled  # shop-staging-web-ij56kl",
        *(f"server s{n} 127.0.0.1:1 {check} disabled" for n in range(4, 9)),
    ]


def test_backend_without_health_has_plain_servers() -> None:
    assert block(render(), "backend blog_staging_web") == [
        "balance roundrobin",
        "server s1 127.0.0.1:5001  # blog-1",
        *(f"server s{n} 127.0.0.1:1 disabled" for n in range(2, 9)),
    ]


def test_slots_keep_their_servers_and_are_reused_once_freed() -> None:
    state = STATE.with_backend(
        STATE.backends[1].without_server("shop-staging-web-ab12cd").with_server(Server("new", 6))
    )
    lines = block(render(state), "backend shop_staging_web")

    assert lines[5] == "server s1 127.0.0.1:6 check inter 1000ms fall 3 rise 2  # new"
    assert lines[6].endswith("# shop-staging-web-ef34gh")
    assert state.slots("shop_staging_web").slot_of("shop-staging-web-ij56kl") == "s3"
    assert state.slots("shop_staging_web").server_in("s1") == "new"


def test_a_full_slot_table_doubles() -> None:
    full = SlotTable(tuple(f"i{n}" for n in range(8)))

    grown = full.fitted([*(f"i{n}" for n in range(8)), "i8"])

    assert grown.size == 16
    assert grown.servers[:9] == tuple(f"i{n}" for n in range(9))
    assert grown.fitted(["i8"]).servers == (None,) * 8 + ("i8",) + (None,) * 7
    assert SlotTable(()).fitted(["a"]).servers == ("a",) + (None,) * 7


def test_every_slot_gets_the_check_params() -> None:
    # Free slots too: `enable health` only works on a server configured with `check`.
    assert server_params(HEALTH) == ("check", "inter", "1000ms", "fall", "3", "rise", "2")
    assert server_params(HealthCheck(interval=0.25)) == (
        "check", "inter", "250ms", "fall", "3", "rise", "2",
    )  # fmt: skip
    assert server_params(None) == ()


def test_rendering_is_deterministic() -> None:
    reordered = RouterState(tuple(reversed(STATE.backends)))
    assert render_config(STATE, PATHS, http_port=1, bind="0.0.0.0") == render_config(
        RouterState().with_backend(reordered.backends[0]).with_backend(reordered.backends[1]),
        PATHS,
        http_port=1,
        bind="0.0.0.0",
    )


def test_hosts_map_lists_every_host_once_sorted() -> None:
    assert render_hosts_map(STATE) == (
        "blog-staging.localhost blog_staging_web\n"
        "shop-staging.localhost shop_staging_web\n"
        "shop.example.com shop_staging_web\n"
    )


def test_state_round_trips_through_json() -> None:
    text = state_to_json(STATE)

    assert state_from_json(text) == STATE
    assert state_to_json(state_from_json(text)) == text


def test_empty_state_round_trips() -> None:
    assert state_from_json(state_to_json(RouterState())) == RouterState()


@pytest.mark.parametrize("version", [1, 99])
def test_state_of_an_unknown_format_is_rejected(version: int) -> None:
    with pytest.raises(InvalidRouterInput, match="unsupported format"):
        state_from_json(f'{{"version": {version}, "backends": []}}')


def test_slots_are_recorded() -> None:
    state = STATE.with_backend(STATE.backends[1].without_server("shop-staging-web-ab12cd"))

    again = state_from_json(state_to_json(state))

    assert again.slots("shop_staging_web").servers[:3] == (
        None,
        "shop-staging-web-ef34gh",
        "shop-staging-web-ij56kl",
    )
    assert again == state


def test_hosts_are_lowercased_without_port_and_deduplicated() -> None:
    backend = validated_backend(
        Backend("web", ("Shop-Staging.localhost:8080", "shop-staging.localhost"), None)
    )
    assert backend.hosts == ("shop-staging.localhost",)


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        (
            Backend("web; del server", (), None),
            "backend name: should be 1-100 letters, digits, '-', '_', '.' or ':' starting "
            "with a letter or digit (got 'web; del server')",
        ),
        (Backend("web", ("bad host",), None), "hosts: 'bad host' is not a valid host name"),
        (
            Backend("web", (), HealthCheck(path="health")),
            "backends.web.health.path: should start with '/' and contain no spaces or quotes "
            "(got 'health')",
        ),
        (
            Backend("web", (), HealthCheck(interval=0)),
            "backends.web.health.interval: should be > 0 (got 0)",
        ),
        (
            Backend("web", (), HealthCheck(unhealthy=0)),
            "backends.web.health.unhealthy: should be >= 1 (got 0)",
        ),
        (
            Backend("web", (), None, (Server("s", 70000),)),
            "backends.web.servers.s.port: should be a port number 1-65535 (got 70000)",
        ),
    ],
)
def test_invalid_backends_say_what_is_wrong(backend: Backend, message: str) -> None:
    with pytest.raises(InvalidRouterInput) as caught:
        validated_backend(backend)
    assert str(caught.value) == message


def test_a_host_routes_to_one_backend_only() -> None:
    state = STATE.with_backend(Backend("other", ("shop.example.com",), None))

    with pytest.raises(InvalidRouterInput) as caught:
        check_host_conflicts(state)

    assert str(caught.value) == (
        "backends.shop_staging_web.hosts: 'shop.example.com' already routes to backend "
        "'other'; remove it there first"
    )


def test_server_helpers_keep_order_and_replace_in_place() -> None:
    backend = Backend("web", (), None, (Server("a", 1), Server("b", 2)))

    assert backend.with_server(Server("a", 1, "drain")).servers == (
        Server("a", 1, "drain"),
        Server("b", 2),
    )
    assert backend.with_server(Server("c", 3)).servers[-1] == Server("c", 3)
    assert backend.without_server("a").servers == (Server("b", 2),)


def test_router_root_must_fit_in_a_unix_socket_path() -> None:
    RouterPaths(Path("/" + "x" * 84)).validate()  # 85 bytes: master.sock is 97, the limit
    with pytest.raises(InvalidRouterInput) as caught:
        RouterPaths(Path("/" + "x" * 85)).validate()
    assert str(caught.value) == (
        "router root: 86 bytes is too long for HAProxy's unix sockets (at most 85): "
        f"use a shorter LAUNCHDECK_HOME (got '/{'x' * 85}')"
    )
    with pytest.raises(InvalidRouterInput, match="without spaces"):
        RouterPaths(Path("/tmp/my router")).validate()
    RouterPaths(Path("/home/someone/.launchdeck/router")).validate()


@pytest.mark.parametrize(("cpus", "threads"), [(None, 1), (1, 1), (2, 1), (4, 1), (8, 2), (64, 16)])
def test_the_router_leaves_a_small_hosts_cores_to_the_apps(cpus: int | None, threads: int) -> None:
    assert router_threads(cpus) == threads


def shape(state: RouterState) -> str:
    return config_shape(render_config(state, PATHS, http_port=8080, bind="127.0.0.1"))


def test_servers_moving_through_their_slots_keep_the_configs_shape() -> None:
    shop = STATE.backends[1]
    moved = (
        STATE.with_backend(shop.with_server(Server("shop-staging-web-zz99zz", 6001)))
        .with_backend(shop.without_server("shop-staging-web-ab12cd"))
        .with_backend(shop.with_server(Server("shop-staging-web-ef34gh", 5003, "ready")))
    )
    assert shape(moved) == shape(STATE)
    assert shape(RouterState(tuple(replace(b, servers=()) for b in STATE.backends))) == shape(STATE)


@pytest.mark.parametrize(
    "change",
    [
        lambda b: replace(b, health=HealthCheck(path="/ready")),
        lambda b: replace(b, name="shop_production_web"),
    ],
)
def test_anything_but_slot_contents_changes_the_shape(change: Any) -> None:
    shop = STATE.backends[1]
    changed = STATE.without_backend(shop.name).with_backend(change(shop))
    assert shape(changed) != shape(STATE)


def test_more_slots_change_the_shape() -> None:
    shop = STATE.backends[1]
    crowded = shop
    for n in range(9):
        crowded = crowded.with_server(Server(f"extra-{n}", 7000 + n))
    assert shape(STATE.with_backend(crowded)) != shape(STATE)
