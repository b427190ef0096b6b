"""An environment's state changes by `update_env` only: read, change and write in one
transaction, which no other writer (another thread, another process) can split. Creating one is
insert-only."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from launchdeck.controlplane.errors import NotFound
from launchdeck.controlplane.store import EnvState, Store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "launchdeck.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = Store(db)
    s.create_app("shop", ["staging"], now=1.0)
    yield s
    s.close()


def add(key: str, value: str) -> Callable[[EnvState], EnvState]:
    return lambda state: replace(state, config={**state.config, key: value})


def test_a_change_applies_to_the_stored_state_not_to_a_copy_read_earlier(store: Store) -> None:
    earlier = store.env("shop", "staging")
    store.update_env("shop", "staging", add("A", "1"))

    changed = store.update_env("shop", "staging", add("B", "2"))

    assert changed == EnvState("shop", "staging", config={"A": "1", "B": "2"})
    assert store.env("shop", "staging") == changed
    assert earlier == EnvState("shop", "staging")  # the copy was never written back


def test_a_missing_environment_is_not_found_and_not_created(store: Store) -> None:
    with pytest.raises(NotFound) as err:
        store.update_env("shop", "qa", add("A", "1"))

    assert err.value.message == "environment shop/qa not found"
    assert store.env("shop", "qa") is None


def test_a_change_that_raises_writes_nothing_and_the_store_stays_usable(store: Store) -> None:
    def refuse(state: EnvState) -> EnvState:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        store.update_env("shop", "staging", refuse)

    assert store.env("shop", "staging") == EnvState("shop", "staging")
    assert store.update_env("shop", "staging", add("A", "1")).config == {"A": "1"}


def test_a_change_may_not_rename_the_environment(store: Store) -> None:
    with pytest.raises(ValueError, match="a change of shop/staging may not rename it"):
        store.update_env("shop", "staging", lambda state: replace(state, name="qa"))

    assert [e.name for e in store.envs("shop")] == ["staging"]


def test_no_other_writer_gets_in_between_the_read_and_the_write(store: Store, db: Path) -> None:
    other = sqlite3.connect(db, timeout=0, isolation_level=None)  # another process, not waiting
    tried: list[str] = []

    def change(state: EnvState) -> EnvState:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            tried.append(str(exc))
        return replace(state, release=2)

    store.update_env("shop", "staging", change)
    other.close()

    assert tried == ["database is locked"]


def test_two_processes_changing_one_environment_lose_no_change(store: Store, db: Path) -> None:
    """Two Store objects are two connections, as two processes would hold: BEGIN IMMEDIATE,
    not this process's lock, keeps their read-modify-writes apart."""
    second = Store(db)
    rounds = 100

    def bump(state: EnvState) -> EnvState:
        return replace(state, formation={"web": state.formation.get("web", 0) + 1})

    def run(s: Store) -> None:
        for _ in range(rounds):
            s.update_env("shop", "staging", bump)

    threads = [threading.Thread(target=run, args=(s,)) for s in (store, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    second.close()

    assert store.env("shop", "staging").formation == {"web": 2 * rounds}  # type: ignore[union-attr]


def test_create_env_adds_one_and_leaves_an_existing_one_as_it_is(store: Store) -> None:
    store.update_env("shop", "staging", add("A", "1"))

    made = store.create_env(EnvState("shop", "qa"))
    kept = store.create_env(EnvState("shop", "staging"))  # e.g. a concurrent request made it

    assert made == EnvState("shop", "qa") == store.env("shop", "qa")
    assert kept == EnvState("shop", "staging", config={"A": "1"})
    assert store.env("shop", "staging") == kept
