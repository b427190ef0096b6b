"""One-off runs in the control plane, without a driver: what an attached run waiting for its
client leaves behind."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from launchdeck.controlplane.access.auth import Principal, Role
from launchdeck.controlplane.runs.service import Runs
from launchdeck.domain import BuildRef, Release
from tests.unit.controlplane.test_api import FakeControlPlane


def test_an_attached_run_waiting_for_its_client_never_holds_up_a_stopping_control_plane(
    tmp_path: Path,
) -> None:
    """The wait for the client is a timer; a control plane that stops in the meantime (`server
    stop`) must not wait for it to fire: Python waits for every thread that is not a daemon."""
    cp = FakeControlPlane(tmp_path / "home")
    cp.store.create_app("shop", ["staging"], time.time())
    build = BuildRef("sha256:" + "0" * 64, "python", 0.0)
    cp.store.add_release(Release("shop", "staging", 1, build, {}, {}, time.time()))
    env = cp.store.update_env("shop", "staging", lambda e: replace(e, release=1))
    runs = Runs(cp.store, None, lambda app, env: lambda text: text)  # type: ignore[arg-type]
    before = set(threading.enumerate())

    run, key = runs.create(env, "python manage.py shell", Principal("ana", Role.ADMIN),
                           detach=False, tty=True, yes=False)  # fmt: skip

    assert key is not None and cp.store.run(run.id) is not None
    started = set(threading.enumerate()) - before
    assert started and all(thread.daemon for thread in started)
    cp.store.close()
