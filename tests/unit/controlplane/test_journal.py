"""The journal: the one writer of events. Kinds are stored as the names the CLI and users'
scripts read; secret values are blanked out of every message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from launchdeck.controlplane.access.redaction import Redactors
from launchdeck.controlplane.deploys.journal import Journal
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import DeploymentKind, DeploymentState, EventKind
from tests.unit.controlplane.store_fixtures import put_env


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "launchdeck.db")
    s.create_app("shop", ["staging"], now=1.0)
    put_env(s, EnvState("shop", "staging", config={"PW": "hunter22"}, secrets=frozenset({"PW"})))
    yield s
    s.close()


def test_event_kinds_keep_the_names_the_cli_and_scripts_read() -> None:
    assert [kind.value for kind in EventKind] == [
        "started", "build", "test", "test_output", "tested", "addon", "released",
        "release_phase", "release_output", "resumed", "autoscaled", "canary", "instance_started",
        "instance_healthy",
        "instance_routed", "drained", "instance_stopped", "gate_failed", "succeeded", "failed",
        "rolled_back",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        (DeploymentState.SUCCEEDED, "succeeded"),
        (DeploymentState.FAILED, "failed"),
        (DeploymentState.ROLLED_BACK, "rolled_back"),
    ],
)
def test_a_finished_deployment_records_its_outcome_as_the_last_event(
    store: Store, state: DeploymentState, kind: str
) -> None:
    journal = Journal(store, redactors=Redactors(store))
    dep = journal.begin(store.env("shop", "staging"), DeploymentKind.DEPLOY)  # type: ignore[arg-type]

    journal.finish(dep, state, "password hunter22 refused")

    kinds = [e.kind for e in store.events(dep.id)]
    assert kinds == ["started", kind]
    assert "hunter22" not in store.events(dep.id)[-1].message


def test_every_event_is_redacted_before_it_is_stored(store: Store) -> None:
    journal = Journal(store, redactors=Redactors(store))
    dep = journal.begin(store.env("shop", "staging"), DeploymentKind.DEPLOY)  # type: ignore[arg-type]

    journal.event(dep, EventKind.RELEASE_OUTPUT, "connecting with hunter22")

    assert store.events(dep.id)[-1].message == "connecting with [REDACTED:PW]"


def test_a_finished_deployment_already_has_its_last_event(store: Store) -> None:
    # a follower stops streaming once it sees the deployment finished and no new event: the
    # last event must be there by the time the finished state is
    journal = Journal(store, redactors=Redactors(store))
    env = store.env("shop", "staging")
    assert env is not None
    dep = journal.begin(env, DeploymentKind.DEPLOY)
    seen_when_saved: list[list[str]] = []
    save = store.save_deployment

    def saving(saved: object) -> None:
        seen_when_saved.append([e.kind for e in store.events(dep.id, 0)])
        save(saved)  # type: ignore[arg-type]

    store.save_deployment = saving  # type: ignore[method-assign]
    journal.finish(dep, DeploymentState.SUCCEEDED)

    assert seen_when_saved == [["started", "succeeded"]]
