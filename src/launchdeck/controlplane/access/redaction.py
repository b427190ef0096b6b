"""Which secret values to blank out of an environment's logs and deployment events: those its
config holds now and those its recent releases hold (an old instance may still print one)."""

from __future__ import annotations

import threading

from launchdeck.controlplane.access.secrets import Redactor
from launchdeck.controlplane.store import Store

RECENT_RELEASES = 20


class Redactors:
    """A cached Redactor per environment; `forget` it when the environment's config changes."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[tuple[str, str], Redactor] = {}
        self._lock = threading.Lock()

    def __call__(self, app: str, env: str) -> Redactor:
        with self._lock:
            found = self._cache.get((app, env))
        if found is not None:
            return found
        redactor = Redactor(self._secrets(app, env))
        with self._lock:
            self._cache[(app, env)] = redactor
        return redactor

    def forget(self, app: str, env: str) -> None:
        with self._lock:
            self._cache.pop((app, env), None)

    def _secrets(self, app: str, env: str) -> set[tuple[str, str]]:
        configs = [(r.config, r.secrets) for r in self._store.releases(app, env, RECENT_RELEASES)]
        state = self._store.env(app, env)
        if state is not None:
            configs.append((state.config, state.secrets))
        return {(k, config[k]) for config, secret in configs for k in secret if k in config}
