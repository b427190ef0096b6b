"""Secret values an environment holds, now or in its recent releases, are blanked out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from launchdeck.controlplane.access.redaction import Redactors
from launchdeck.controlplane.store import EnvState, Store
from tests.unit.controlplane.store_fixtures import put_env
from tests.unit.controlplane.test_store import release


def test_current_and_earlier_secret_values_are_redacted(tmp_path: Path) -> None:
    store = Store(tmp_path / "launchdeck.db")
    store.create_app("shop", ["staging", "production"], now=1.0)
    old = replace(release(1), config={"TOKEN": "old-token-1"}, secrets=frozenset({"TOKEN"}))
    store.add_release(old)
    put_env(
        store,
        EnvState(
            "shop",
            "staging",
            config={"TOKEN": "new-token-2", "PLAIN": "visible"},
            secrets=frozenset({"TOKEN"}),
        ),
    )
    redactors = Redactors(store)

    clean = redactors("shop", "staging")

    assert clean("old-token-1 new-token-2 visible") == ("[REDACTED:TOKEN] [REDACTED:TOKEN] visible")
    assert redactors("shop", "production")("old-token-1") == "old-token-1"
    store.close()


def test_forget_picks_up_a_changed_secret(tmp_path: Path) -> None:
    store = Store(tmp_path / "launchdeck.db")
    store.create_app("shop", ["staging"], now=1.0)
    redactors = Redactors(store)
    assert redactors("shop", "staging")("hunter22") == "hunter22"

    put_env(
        store, EnvState("shop", "staging", config={"PW": "hunter22"}, secrets=frozenset({"PW"}))
    )
    redactors.forget("shop", "staging")

    assert redactors("shop", "staging")("pw=hunter22") == "pw=[REDACTED:PW]"
    store.close()
