"""Setting up an environment's state for a test. The server never writes a whole state it read
earlier (it changes one through `Store.update_env`); a test's starting point may."""

from __future__ import annotations

from launchdeck.controlplane.store import EnvState, Store


def put_env(store: Store, state: EnvState) -> EnvState:
    """Make `state` the environment's whole state, creating the environment if need be."""
    store.create_env(EnvState(state.app, state.name))
    return store.update_env(state.app, state.name, lambda _: state)
