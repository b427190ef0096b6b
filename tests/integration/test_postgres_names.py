"""Any app and environment name the API accepts gets a PostgreSQL database, against a real
server: names PostgreSQL reserves (`pg_*` roles), the names of its own databases and roles
(`postgres`, `public`, `template1`) and the longest names all work, back up and restore; and an
environment made before names were derived this way keeps its database and URL."""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.harness import free_range
from tests.integration.addon_support import kill_pids, newest_postgres, scratch_dir

from launchdeck.domain import NAME_RE, Addons, BackupPolicy, PostgresAddon
from launchdeck.domain.backups import BackupStatus
from launchdeck.drivers.local.addons import AddonHost
from launchdeck.drivers.local.ports import PortAllocator
from launchdeck.drivers.local.postgres.client import Endpoint, scalar

VERSION = newest_postgres()

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(VERSION is None, reason="PostgreSQL is not installed"),
    pytest.mark.timeout(300),
]

SETTINGS = PostgresAddon(VERSION, BackupPolicy(every=12 * 3600, keep=14 * 86400), "true")
WANTED = Addons(postgres=SETTINGS)
LONGEST = "a" + "-b2" * 9 + "zz"  # 30 characters, the most a name may have
TRAPS = ["pg", "pg-admin", "postgres", "public", "template1", LONGEST]


@dataclass
class Host:
    base: Path
    ports: PortAllocator

    def open(self) -> AddonHost:
        return AddonHost(self.base / "addons", ports=self.ports)


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with scratch_dir("launchdeck-pgnames-") as base:
        first, last = (int(p) for p in free_range(100).split("-"))
        h = Host(base, PortAllocator(first, last))
        try:
            yield h
        finally:
            addons = h.open()
            pids = [p.pid for c in addons.fleet.known().values() for p in c.processes()]
            addons.stop_all()
            kill_pids(pids)


def login(url: str) -> Endpoint:
    """What an app does with its DATABASE_URL."""
    parts = urlsplit(url)
    assert parts.hostname and parts.port and parts.username and parts.password
    return Endpoint(parts.hostname, parts.port, parts.username, parts.path[1:], parts.password)


def test_reserved_and_existing_names_get_a_database_that_backs_up_and_restores(
    host: Host,
) -> None:
    addons = host.open()
    urls = {}
    for app in TRAPS:
        [attached] = addons.attach(app, "staging", WANTED)
        urls[app] = attached.url
        endpoint = login(attached.url)
        assert scalar(endpoint, "SELECT current_database()") == f"{app}_staging"
        scalar(
            endpoint, f"CREATE TABLE t (n int); INSERT INTO t SELECT generate_series(1, {len(app)})"
        )
    assert login(urls["pg"]).user == "ld_pg_staging"  # PostgreSQL reserves every pg_* role
    assert login(urls["pg-admin"]).user == "pg-admin_staging"

    backups = addons.backups(VERSION)
    checked = backups.verify(backups.take().id)
    assert checked.status is BackupStatus.VERIFIED, checked.reason
    for app in TRAPS:
        assert checked.row_counts[f"{app}_staging"] == {"public.t": len(app)}

    for app in ("pg", "template1"):
        scalar(login(urls[app]), "DELETE FROM t")
        restored = addons.restore(app, "staging", source=VERSION, backup_id=checked.id)
        assert restored.row_counts == {"public.t": len(app)}
        moved = addons.move(app, "staging", restored.name)
        assert scalar(login(moved.url), "SELECT count(*) FROM t") == len(app)
    for app in TRAPS:
        addons.detach(app, "staging")


def test_an_environment_made_before_keeps_its_database_and_url(host: Host) -> None:
    addons = host.open()
    [before] = addons.attach("shop", "qa", WANTED)
    # the name every earlier launchdeck gave it: role and database `<app>_<env>`
    assert (login(before.url).user, login(before.url).database) == ("shop_qa", "shop_qa")
    scalar(login(before.url), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
    [after] = host.open().attach("shop", "qa", WANTED)  # a restart, then the next deploy
    assert after.url == before.url
    assert scalar(login(after.url), "SELECT n FROM kept") == 7
    addons.detach("shop", "qa")


NAMES = st.from_regex(NAME_RE, fullmatch=True)
ENV_NAMES = st.sampled_from(["staging", "production", "pg", "pr-1"]) | NAMES


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(app="pg", env="pg")
@example(app="p", env="g" + string.ascii_lowercase[:29])
@given(app=NAMES, env=ENV_NAMES)
def test_provisioning_never_fails_for_a_name_the_api_accepts(
    host: Host, app: str, env: str
) -> None:
    addons = host.open()
    [attached] = addons.attach(app, env, WANTED)
    assert scalar(login(attached.url), "SELECT current_database()") == f"{app}_{env}"
    addons.detach(app, env)
