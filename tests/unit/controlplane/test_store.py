from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import (
    Amount,
    BuildRef,
    Deployment,
    DeploymentKind,
    DeploymentState,
    Event,
    Health,
    HealthCheck,
    Instance,
    InstanceState,
    Release,
    ReleaseSpec,
    Resources,
    Rollout,
    Scale,
    ServiceSpec,
)
from tests.unit.controlplane.store_fixtures import put_env

WEB = ServiceSpec(
    name="web",
    command="gunicorn app:app --bind 0.0.0.0:$PORT",
    port=True,
    health=HealthCheck(
        path="/health", interval=0.5, timeout=1.5, healthy=3, unhealthy=2, grace=5.0
    ),
    scale=Scale(count=2, min=1, max=4, cpu=60, requests_per_instance=200),
    resources=Resources(cpu=0.5, memory=256 * 1024 * 1024),
    rollout=Rollout(max_surge=Amount(50, percent=True), max_unavailable=Amount(1)),
    drain=3.0,
    stop_timeout=7.5,
)
WORKER = ServiceSpec(name="worker", command="python -m worker")


def release(version: int, *, app: str = "shop", env: str = "staging", digest: str = "") -> Release:
    return Release(
        app=app,
        env=env,
        version=version,
        build=BuildRef(
            digest=digest or f"sha256:{version:064x}",
            kind="python",
            created_at=10.0,
            git_sha="abc123",
        ),
        config={"DEBUG": "0", "POOL": "5"},
        services={"web": WEB, "worker": WORKER},
        created_at=100.0 + version,
        description=f"Deploy v{version}",
        release_command=ReleaseSpec(command="python manage.py migrate", timeout=60.0),
    )


def deployment(app: str = "shop", env: str = "staging", **fields: object) -> Deployment:
    base = Deployment(
        id=0,
        app=app,
        env=env,
        kind=DeploymentKind.DEPLOY,
        state=DeploymentState.PENDING,
        created_at=50.0,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def instance(
    id_: str, *, app: str = "shop", env: str = "staging", port: int | None = 20001
) -> Instance:
    return Instance(
        id=id_,
        app=app,
        env=env,
        service="web",
        release=1,
        state=InstanceState.RUNNING,
        port=port,
        pid=4242,
        started_at=1234.5,
        restarts=1,
        health=Health.HEALTHY,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "launchdeck.db"


@pytest.fixture
def store(db: Path):
    s = Store(db)
    yield s
    s.close()


# -- apps and environments ---------------------------------------------------------------------


def test_creates_the_db_directory_and_starts_empty(store: Store, db: Path) -> None:
    assert db.exists()
    assert store.apps() == []
    assert store.envs() == []
    assert store.instances() == []


def test_create_app_records_it_with_an_empty_state_per_env(store: Store) -> None:
    store.create_app("shop", ["staging", "production"], now=123.0)

    assert store.apps() == [("shop", 123.0)]
    assert store.app_exists("shop")
    assert not store.app_exists("blog")
    assert store.envs("shop") == [EnvState("shop", "production"), EnvState("shop", "staging")]
    assert store.env("shop", "staging") == EnvState("shop", "staging", None, {}, {})
    assert store.env("shop", "qa") is None


def test_apps_and_envs_list_sorted_by_name(store: Store) -> None:
    store.create_app("shop", ["staging"], now=2.0)
    store.create_app("blog", ["staging", "production"], now=1.0)

    assert store.apps() == [("blog", 1.0), ("shop", 2.0)]
    assert [(e.app, e.name) for e in store.envs()] == [
        ("blog", "production"),
        ("blog", "staging"),
        ("shop", "staging"),
    ]


def test_creating_an_app_twice_fails_and_keeps_the_first(store: Store) -> None:

    store.create_app("shop", ["staging"], now=1.0)
    with pytest.raises(sqlite3.IntegrityError):
        store.create_app("shop", ["production"], now=2.0)

    assert store.apps() == [("shop", 1.0)]
    assert [e.name for e in store.envs("shop")] == ["staging"]


def test_update_env_replaces_release_formation_and_config(store: Store) -> None:
    store.create_app("shop", ["staging"], now=1.0)
    state = EnvState("shop", "staging", release=3, formation={"web": 2}, config={"K": "v"})

    assert store.update_env("shop", "staging", lambda _: state) == state

    assert store.env("shop", "staging") == state


def test_delete_app_removes_everything_it_owns_and_nothing_else(store: Store) -> None:
    for app in ("shop", "blog"):
        store.create_app(app, ["staging"], now=1.0)
        store.add_release(release(1, app=app))
        dep = store.add_deployment(deployment(app=app))
        store.add_event(dep.id, 1.0, "started", f"{app} started")
        store.save_instance(instance(f"web.v1-{app}", app=app))
    blog_dep = store.deployments("blog", "staging")[0]

    store.delete_app("shop")

    assert store.apps() == [("blog", 1.0)]
    assert not store.app_exists("shop")
    assert store.envs("shop") == []
    assert store.releases("shop", "staging") == []
    assert store.release("shop", "staging", 1) is None
    assert store.deployments("shop", "staging") == []
    assert store.deployment(1) is None
    assert store.events(1) == []
    assert store.instances("shop", "staging") == []
    # the other app is untouched
    assert [r.version for r in store.releases("blog", "staging")] == [1]
    assert store.deployment(blog_dep.id) == blog_dep
    assert [e.message for e in store.events(blog_dep.id)] == ["blog started"]
    assert [i.id for i in store.instances()] == ["web.v1-blog"]


# -- releases -------------------------------------------------------------------------------


def test_release_versions_count_up_per_environment(store: Store) -> None:
    store.create_app("shop", ["staging", "production"], now=1.0)
    assert store.next_release_version("shop", "staging") == 1

    store.add_release(release(1))
    store.add_release(release(2))

    assert store.next_release_version("shop", "staging") == 3
    assert store.next_release_version("shop", "production") == 1
    assert store.next_release_version("blog", "staging") == 1


def test_a_release_round_trips_through_json_with_nested_frozen_specs(store: Store) -> None:
    original = release(1)
    store.add_release(original)

    loaded = store.release("shop", "staging", 1)

    assert loaded == original
    assert loaded is not None
    web = loaded.services["web"]
    assert isinstance(web, ServiceSpec)
    assert isinstance(web.health, HealthCheck)
    assert web.health.path == "/health"
    assert isinstance(web.rollout.max_surge, Amount)
    assert web.rollout.max_surge == Amount(50, percent=True)
    assert str(web.rollout.max_surge) == "50%"
    assert web.rollout.max_unavailable == Amount(1)
    assert web.resources == Resources(cpu=0.5, memory=268435456)
    assert loaded.services["worker"].health is None
    assert loaded.build == BuildRef(f"sha256:{1:064x}", "python", 10.0, "abc123")
    assert loaded.release_command == ReleaseSpec("python manage.py migrate", 60.0)
    assert loaded.name == "v1"


def test_releases_list_newest_first_and_honour_the_limit(store: Store) -> None:
    for v in (1, 2, 3):
        store.add_release(release(v))
    store.add_release(release(1, env="production"))

    assert [r.version for r in store.releases("shop", "staging")] == [3, 2, 1]
    assert [r.version for r in store.releases("shop", "staging", limit=2)] == [3, 2]
    assert [r.version for r in store.releases("shop", "production")] == [1]


def test_adding_the_same_release_version_twice_fails(store: Store) -> None:

    store.add_release(release(1))
    with pytest.raises(sqlite3.IntegrityError):
        store.add_release(release(1, digest="sha256:other"))
    assert store.release("shop", "staging", 1) == release(1)


def test_build_digests_in_use_keeps_the_newest_releases_of_every_env(store: Store) -> None:
    store.create_app("shop", ["staging", "production"], now=1.0)
    for v in (1, 2, 3):
        store.add_release(release(v, digest=f"sha256:s{v}"))
    store.add_release(release(1, env="production", digest="sha256:p1"))

    assert store.build_digests_in_use(keep_per_env=2) == {"sha256:s3", "sha256:s2", "sha256:p1"}


# -- deployments and events -----------------------------------------------------------------


def test_add_deployment_assigns_increasing_ids(store: Store) -> None:
    first = store.add_deployment(deployment())
    second = store.add_deployment(deployment(kind=DeploymentKind.ROLLBACK))

    assert (first.id, second.id) == (1, 2)
    assert store.deployment(1) == replace(deployment(), id=1)
    assert store.deployment(2) == replace(deployment(kind=DeploymentKind.ROLLBACK), id=2)
    assert store.deployment(3) is None


def test_save_deployment_updates_state_and_fields(store: Store) -> None:
    dep = store.add_deployment(deployment(from_release=1))
    done = replace(
        dep,
        state=DeploymentState.ROLLED_BACK,
        to_release=2,
        reason="web.v2-abc failed its health check",
        finished_at=99.0,
    )

    store.save_deployment(done)

    assert store.deployment(dep.id) == done
    assert store.deployments("shop", "staging") == [done]


def test_deployments_list_newest_first_per_env(store: Store) -> None:
    a = store.add_deployment(deployment())
    b = store.add_deployment(deployment())
    store.add_deployment(deployment(env="production"))

    assert [d.id for d in store.deployments("shop", "staging")] == [b.id, a.id]
    assert [d.id for d in store.deployments("shop", "staging", limit=1)] == [b.id]


def test_unfinished_deployments_are_those_not_succeeded_failed_or_rolled_back(store: Store) -> None:
    states = list(DeploymentState)
    for state in states:
        store.add_deployment(deployment(state=state))

    unfinished = store.unfinished_deployments()

    assert [d.state for d in unfinished] == [
        DeploymentState.PENDING,
        DeploymentState.BUILDING,
        DeploymentState.ROLLING,
    ]
    assert [d.id for d in unfinished] == sorted(d.id for d in unfinished)


def test_unfinished_deployments_follow_saved_state(store: Store) -> None:
    dep = store.add_deployment(deployment())
    assert store.unfinished_deployments() == [dep]

    store.save_deployment(replace(dep, state=DeploymentState.SUCCEEDED, finished_at=2.0))

    assert store.unfinished_deployments() == []


def test_events_are_numbered_per_deployment_and_read_in_order(store: Store) -> None:
    one = store.add_deployment(deployment())
    two = store.add_deployment(deployment())

    first = store.add_event(one.id, 1.0, "started", "deploy started")
    store.add_event(two.id, 1.5, "started", "other deploy")
    store.add_event(one.id, 2.0, "build", "installing")
    store.add_event(one.id, 3.0, "succeeded", "deployment succeeded")

    assert first == Event(one.id, 1, 1.0, "started", "deploy started")
    assert store.events(one.id) == [
        Event(one.id, 1, 1.0, "started", "deploy started"),
        Event(one.id, 2, 2.0, "build", "installing"),
        Event(one.id, 3, 3.0, "succeeded", "deployment succeeded"),
    ]
    assert store.events(two.id) == [Event(two.id, 1, 1.5, "started", "other deploy")]


def test_events_after_returns_only_later_ones(store: Store) -> None:
    dep = store.add_deployment(deployment())
    for i in range(5):
        store.add_event(dep.id, float(i), "build", f"line {i}")

    assert [e.seq for e in store.events(dep.id, after=3)] == [4, 5]
    assert store.events(dep.id, after=5) == []
    assert store.events(999) == []


# -- instances ------------------------------------------------------------------------------


def test_save_instance_inserts_then_replaces(store: Store) -> None:
    inst = instance("web.v1-aaaaaa")
    store.save_instance(inst)
    assert store.instances("shop", "staging") == [inst]

    draining = replace(inst, state=InstanceState.DRAINING, health=Health.UNKNOWN)
    store.save_instance(draining)

    assert store.instances("shop", "staging") == [draining]


def test_instances_filter_by_app_and_env_and_sort_by_id(store: Store) -> None:
    store.save_instance(instance("web.v1-bbbbbb", port=20002))
    store.save_instance(instance("web.v1-aaaaaa", port=20001))
    store.save_instance(instance("web.v1-cccccc", env="production", port=20003))
    store.save_instance(instance("web.v1-dddddd", app="blog", port=20004))

    assert [i.id for i in store.instances("shop", "staging")] == ["web.v1-aaaaaa", "web.v1-bbbbbb"]
    assert [i.id for i in store.instances("shop", "production")] == ["web.v1-cccccc"]
    assert [i.id for i in store.instances()] == [
        "web.v1-dddddd",
        "web.v1-cccccc",
        "web.v1-aaaaaa",
        "web.v1-bbbbbb",
    ]


def test_remove_instance_deletes_only_that_instance(store: Store) -> None:
    a, b = instance("web.v1-aaaaaa"), instance("web.v1-bbbbbb", port=20002)
    store.save_instance(a)
    store.save_instance(b)

    store.remove_instance(a)
    store.remove_instance(a)  # removing twice is harmless

    assert store.instances() == [b]


def test_ports_in_use_are_the_ports_of_recorded_instances(store: Store) -> None:
    assert store.ports_in_use() == set()
    store.save_instance(instance("web.v1-aaaaaa", port=20001))
    store.save_instance(instance("web.v1-bbbbbb", env="production", port=20002))
    store.save_instance(instance("worker.v1-cccccc", port=None))

    assert store.ports_in_use() == {20001, 20002}

    store.remove_instance(instance("web.v1-aaaaaa"))
    assert store.ports_in_use() == {20002}


# -- meta and durability --------------------------------------------------------------------


def test_meta_keys_are_set_and_replaced(store: Store) -> None:
    assert store.get_meta("schema") is None
    store.set_meta("schema", "1")
    store.set_meta("schema", "2")
    assert store.get_meta("schema") == "2"


def test_a_failed_transaction_rolls_back(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute("INSERT INTO meta VALUES ('k', 'v')")
        raise RuntimeError("boom")

    assert store.get_meta("k") is None
    store.set_meta("k", "after")  # the connection is usable again
    assert store.get_meta("k") == "after"


def test_data_survives_closing_and_reopening_the_file(db: Path) -> None:
    first = Store(db)
    first.create_app("shop", ["staging"], now=7.0)
    put_env(first, EnvState("shop", "staging", release=1, formation={"web": 3}, config={"A": "b"}))
    first.add_release(release(1))
    dep = first.add_deployment(deployment(state=DeploymentState.ROLLING, to_release=1))
    first.add_event(dep.id, 1.0, "started", "deploy started")
    first.save_instance(instance("web.v1-aaaaaa"))
    first.set_meta("token", "secret")
    first.close()

    again = Store(db)
    try:
        assert again.apps() == [("shop", 7.0)]
        assert again.env("shop", "staging") == EnvState(
            "shop", "staging", release=1, formation={"web": 3}, config={"A": "b"}
        )
        assert again.release("shop", "staging", 1) == release(1)
        assert again.unfinished_deployments() == [dep]
        assert again.events(dep.id) == [Event(dep.id, 1, 1.0, "started", "deploy started")]
        assert again.instances() == [instance("web.v1-aaaaaa")]
        assert again.get_meta("token") == "secret"
        assert again.next_release_version("shop", "staging") == 2
        assert again.add_deployment(deployment()).id == dep.id + 1
    finally:
        again.close()


# -- secret config values ------------------------------------------------------------------------


def test_secret_values_are_sealed_in_the_file_and_open_on_read(store: Store, db: Path) -> None:
    store.create_app("shop", ["staging"], now=1.0)
    state = EnvState(
        "shop",
        "staging",
        config={"DEBUG": "1", "API_KEY": "sk-live-4242"},
        secrets=frozenset({"API_KEY"}),
    )
    put_env(store, state)
    store.add_release(replace(release(1), config=dict(state.config), secrets=state.secrets))
    store.close()

    raw = db.read_bytes() + (
        db.with_name(db.name + "-wal").read_bytes()
        if db.with_name(db.name + "-wal").exists()
        else b""
    )
    assert b"sk-live-4242" not in raw
    assert b"DEBUG" in raw  # plain values and every key stay readable

    again = Store(db)
    assert again.env("shop", "staging") == state
    opened = again.release("shop", "staging", 1)
    assert opened is not None and opened.config["API_KEY"] == "sk-live-4242"
    again.close()


def test_a_secret_stored_with_another_key_cannot_be_opened(tmp_path: Path) -> None:
    from launchdeck.controlplane.access.secrets import Keyring
    from launchdeck.controlplane.errors import Invalid

    first = Store(tmp_path / "a" / "launchdeck.db")
    first.create_app("shop", ["staging"], now=1.0)
    put_env(first, EnvState("shop", "staging", config={"K": "v"}, secrets=frozenset({"K"})))
    first.close()

    other = Store(tmp_path / "a" / "launchdeck.db", Keyring(tmp_path / "b"))
    with pytest.raises(Invalid, match="cannot be decrypted with this key"):
        other.env("shop", "staging")
    other.close()


def test_a_change_made_before_the_wait_ends_it_at_once(store: Store) -> None:
    """A follower reads the count, then the store; a deployment finishing between that read
    and the wait must not leave it waiting (it would print the outcome a timeout late)."""
    store.create_app("shop", ["staging"], now=1.0)
    dep = store.add_deployment(deployment())
    seen = store.deployment_changes()
    store.add_event(dep.id, 1.0, "succeeded", "deployment succeeded")  # before the wait
    started = time.monotonic()
    store.wait_for_deployment_change(seen, timeout=30.0)
    assert time.monotonic() - started < 29.0  # returned on the change, not the timeout
