"""No lost updates on an environment's state: `config set`, `scale` and `domains add` from
several request threads race deploys and the jobs they queue (each rollout moves the release
pointer) on one environment, hundreds of times, against a real Store on a file. Every change
survives and the release pointer never moves back.

The deployments is the real one: only the build, the router and the executor's work on processes are
instant fakes, so a rollout does everything else it does (events, releases, the pointer)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from launchdeck.build import Artifact
from launchdeck.controlplane.deploys.deployments import Deployments
from launchdeck.controlplane.domains import add_domain
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import BuildRef, BuildSpec, DeploymentState, Release
from launchdeck.manifest import parse_manifest
from launchdeck.system import Jail
from tests.unit.controlplane.deployment_fakes import OpenJails

ROUNDS = 100  # per thread; six threads
KEY = ("shop", "staging")
MANIFEST = parse_manifest(
    "[services.web]\ncommand = 'serve'\nport = '$PORT'\n"
    "[services.s0]\ncommand = 'work'\n[services.s1]\ncommand = 'work'\n"
)


class InstantBuilder:
    """Every build is ready at once (a new digest each time, as a changed source would be)."""

    def __init__(self, root: Path) -> None:
        self.root, self.count = root, 0

    def build(
        self, source: Path, spec: BuildSpec, *, log: Callable[[str], None], git_sha: str | None,
        jail: Jail,
    ) -> Artifact:  # fmt: skip
        self.count += 1  # builds run on the environment's one worker: one at a time
        ref = BuildRef(digest=f"sha256:{self.count:064x}", kind="generic", created_at=1.0)
        return Artifact(ref=ref, app_dir=self.root, env={}, deps_key=None, reused_deps=False)

    def prune(self, *, protect: object = ()) -> list[str]:
        return []


class Done:
    def run(self, plan: object) -> None:
        """The plan's instances started, healthy and routed, at once."""

    def go_live(self, plan: object) -> None:
        """The new instances serving, the old ones drained, at once."""

    def retire(self, plan: object) -> None:
        """The old instances stopped, at once."""


class InstantDeployments(Deployments):
    """The real deployments; what a rollout does to processes and the router takes no time."""

    def executor(self, env: EnvState, deployment_id: int | None, actual: list[Any]) -> Any:
        return Done()

    def ensure_backends(self, env: EnvState, release: Release) -> None:
        pass

    def counts(self, env: EnvState, release: Release) -> dict[str, int]:
        return dict.fromkeys(release.services, 0)  # the scale is asserted on, not started


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "launchdeck.db")
    s.create_app("shop", ["staging"], now=1.0)
    yield s
    s.close()


@pytest.fixture
def deployments(store: Store, tmp_path: Path) -> InstantDeployments:
    builder = InstantBuilder(tmp_path)
    return InstantDeployments(store, builder, OpenJails())  # type: ignore[arg-type]


def drained(deployments: Deployments) -> None:
    """Wait until the environment's worker ran every job queued so far."""
    done = threading.Event()
    deployments.workers[KEY].submit(done.set)
    assert done.wait(120), "the environment's jobs did not finish"


def current(store: Store) -> EnvState:
    state = store.env(*KEY)
    assert state is not None
    return state


def test_racing_config_scale_domains_and_deploys_lose_nothing_and_never_move_back(
    store: Store, deployments: InstantDeployments, tmp_path: Path
) -> None:
    deployments.deploy(current(store), tmp_path / "source", MANIFEST, None)  # v1: scale needs one
    drained(deployments)
    seen: dict[str, list[int]] = {}  # per thread: the release pointer after each of its steps
    errors: list[BaseException] = []

    def config(t: int, i: int) -> None:
        deployments.set_config(current(store), {f"C{t}_{i}": str(i)}, [])

    def scale(t: int, i: int) -> None:
        deployments.scale(current(store), {f"s{t}": i}, max_scale=ROUNDS)

    def deploy(t: int, i: int) -> None:
        deployments.deploy(current(store), tmp_path / f"source-{t}-{i}", MANIFEST, None)

    def domain(t: int, i: int) -> None:
        add_domain(deployments, current(store), f"d{i}.shop.test")

    def thread(name: str, t: int, step: Callable[[int, int], None]) -> threading.Thread:
        def run() -> None:
            pointers = seen.setdefault(name, [])
            try:
                for i in range(ROUNDS):
                    step(t, i)
                    pointers.append(current(store).release or 0)
            except BaseException as exc:
                errors.append(exc)

        return threading.Thread(target=run, name=name)

    stop = threading.Event()

    def watch() -> None:  # the pointer as any reader sees it, sampled all along
        pointers = seen.setdefault("watcher", [])
        while not stop.is_set():
            pointers.append(current(store).release or 0)
            time.sleep(0.001)

    threads = [
        thread("config-0", 0, config),
        thread("config-1", 1, config),
        thread("scale-0", 0, scale),
        thread("scale-1", 1, scale),
        thread("deploy", 0, deploy),
        thread("domains", 0, domain),
        threading.Thread(target=watch, name="watcher"),
    ]
    for th in threads:
        th.start()
    for th in threads[:-1]:
        th.join(300)
    drained(deployments)
    stop.set()
    threads[-1].join(10)

    assert errors == []
    env = current(store)
    expected = {f"C{t}_{i}": str(i) for t in (0, 1) for i in range(ROUNDS)}
    assert {k: v for k, v in env.config.items() if k.startswith("C")} == expected
    assert env.formation == {"s0": ROUNDS - 1, "s1": ROUNDS - 1}  # each thread's last word
    assert env.domains == tuple(f"d{i}.shop.test" for i in range(ROUNDS))
    for name, pointers in seen.items():
        backwards = [(a, b) for a, b in pairwise(pointers) if b < a]
        assert backwards == [], f"{name} saw the release pointer move back"
    releases = store.releases(*KEY, limit=10_000)  # newest first
    builds = [int(r.build.digest.removeprefix("sha256:"), 16) for r in reversed(releases)]
    assert builds == sorted(builds)  # no config change took the code back to an older build
    assert env.release == releases[0].version  # the last release made is the one that runs
    assert releases[0].config == env.config  # with every config change
    assert builds[-1] == ROUNDS + 1  # and the last build (the first deploy's, then ROUNDS more)
    states = {d.state for d in store.deployments(*KEY, limit=10_000)}
    assert states == {DeploymentState.SUCCEEDED}
