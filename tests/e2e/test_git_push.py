"""`git push launchdeck main` as a user types it: the pushed commit is built, tested and rolled out
to staging, then promoted to production unchanged; a commit whose tests fail, or a branch that
maps to no environment, is rejected and changes nothing. One control plane and one app for the
module: each test builds on the first push, which a module fixture makes."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import ControlPlane, copy_example, make_control_plane

pytestmark = pytest.mark.e2e

PASSING_TESTS = """
[test]
command = '''python -c "import os; print('tests ok', os.environ['CI'], os.environ.get('GREETING'))"'''
timeout = "1m"
"""
FAILING_TESTS = """
[test]
command = '''python -c "print('FAILED test_checkout'); raise SystemExit(1)"'''
"""


@dataclass
class Repo:
    path: Path
    env: dict[str, str]

    def git(
        self, *args: str, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
        return done

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git(
            "-c", "user.email=dev@example.com", "-c", "user.name=Dev", "commit", "-qm", message
        )
        return self.git("rev-parse", "HEAD").stdout.strip()

    def push(self, refspec: str = "main") -> subprocess.CompletedProcess[str]:
        # a push waits for the build, the tests and the rollout
        return self.git("push", "launchdeck", refspec, check=False, timeout=240)

    def remote_heads(self) -> dict[str, str]:
        lines = self.git("ls-remote", "--heads", "launchdeck").stdout.splitlines()
        return {
            ref.removeprefix("refs/heads/"): sha for sha, ref in (line.split() for line in lines)
        }


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory):
    cp = make_control_plane(tmp_path_factory.mktemp("cp"))
    cp.start()
    try:
        yield cp
    finally:
        cp.stop_everything()


@pytest.fixture(scope="module")
def repo(plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """The example app in a git repository with the launchdeck remote, and the greeting each
    environment is to show (saved now, applied by its first release)."""
    path = copy_example(tmp_path_factory.mktemp("src"), "hello")
    with (path / "launchdeck.toml").open("a") as manifest:
        manifest.write(PASSING_TESTS)
    # hermetic git: no user or system config of the machine running the tests
    env = {**plane.env, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    repo = Repo(path, env)
    repo.git("init", "-q", "-b", "main")
    repo.commit("hello")
    plane.cli("apps", "create", "hello")
    for env_name in ("staging", "production"):
        plane.cli("config", "set", f"GREETING=hi from {env_name}", "--app", "hello", "-e", env_name)
    added = plane.cli("git", "remote", "--app", "hello", "--add", cwd=path)
    assert added.out.strip() == str(plane.home / "git" / "hello.git")
    assert "added git remote 'launchdeck'; deploy with: git push launchdeck main" in added.err
    return repo


@pytest.fixture(scope="module")
def first_push(repo: Repo) -> tuple[subprocess.CompletedProcess[str], str]:
    sha = repo.git("rev-parse", "HEAD").stdout.strip()
    return repo.push(), sha


def test_a_push_deploys_staging_and_promote_ships_the_same_build_to_production(
    plane: ControlPlane, repo: Repo, first_push: tuple[subprocess.CompletedProcess[str], str]
) -> None:
    pushed, sha = first_push
    out = pushed.stdout + pushed.stderr
    assert pushed.returncode == 0, out
    assert f"remote: -----> launchdeck: deploying hello main at {sha[:12]}" in out
    assert "remote: -----> main deploys to staging" in out
    assert "remote:        -----> Python app detected" in out  # the build
    assert "remote:        tests ok true None" in out  # the tests: CI set, no config values
    assert "remote: -----> deployment succeeded" in out  # the rollout
    assert repo.remote_heads() == {"main": sha}

    status, on_staging = plane.get("hello")
    assert status == 200 and on_staging["git_sha"] == sha
    assert on_staging["greeting"] == "hi from staging"

    plane.cli("promote", "--app", "hello", "--from", "staging", "--to", "production", "--yes")

    staging = plane.cli("status", "--app", "hello", "--json").json()
    production = plane.cli("status", "--app", "hello", "-e", "production", "--json").json()
    assert production["build"] == staging["build"] == on_staging["build"]
    instances = production["instances"]
    assert {(i["release"], i["state"]) for i in instances} == {(production["release"], "running")}
    for _ in range(3):  # the router spreads requests over the instances: ask more than once
        status, on_production = plane.get("hello", env="production")
        assert status == 200 and on_production["build"] == staging["build"]
        assert (on_production["git_sha"], on_production["greeting"]) == (sha, "hi from production")


def test_a_push_whose_tests_fail_is_rejected_and_staging_keeps_serving(
    plane: ControlPlane, repo: Repo, first_push: tuple[subprocess.CompletedProcess[str], str]
) -> None:
    _, good = first_push
    before = plane.cli("status", "--app", "hello", "--json").json()
    releases = len(plane.cli("releases", "--app", "hello", "--json").json())
    manifest = repo.path / "launchdeck.toml"
    manifest.write_text(manifest.read_text().replace(PASSING_TESTS, FAILING_TESTS))
    (repo.path / "app.py").write_text(
        (repo.path / "app.py").read_text().replace("hello from launchdeck", "broken checkout")
    )
    bad = repo.commit("break the checkout")

    pushed = repo.push()

    out = pushed.stdout + pushed.stderr
    assert pushed.returncode != 0, out
    assert "remote:        FAILED test_checkout" in out
    assert "remote: error: deploy failed: tests failed (exit 1)" in out
    assert "[remote rejected] main -> main (pre-receive hook declined)" in out
    assert repo.remote_heads() == {"main": good} != {"main": bad}
    after = plane.cli("status", "--app", "hello", "--json").json()
    assert after["release"] == before["release"] and after["build"] == before["build"]
    assert len(plane.cli("releases", "--app", "hello", "--json").json()) == releases
    status, body = plane.get("hello")
    assert status == 200 and (body["git_sha"], body["message"]) == (good, "hello from launchdeck")


def test_a_push_to_an_unmapped_branch_is_rejected_with_the_mapping(
    plane: ControlPlane, repo: Repo, first_push: tuple[subprocess.CompletedProcess[str], str]
) -> None:
    before = plane.cli("status", "--app", "hello", "--json").json()["last_deployment"]

    pushed = repo.push("HEAD:refs/heads/feature")

    out = pushed.stdout + pushed.stderr
    assert pushed.returncode != 0, out
    assert (
        "remote: error: branch 'feature' maps to no environment (main -> staging) (HTTP 422)" in out
    )
    assert (
        "remote: fix: push to a mapped branch (git push launchdeck feature:main) or map it in "
        'launchdeck.toml: [git] branches = { main = "staging", feature = "staging" }' in out
    )
    assert "feature" not in repo.remote_heads()
    after = plane.cli("status", "--app", "hello", "--json").json()["last_deployment"]
    assert after["id"] == before["id"]


def test_git_remote_errors_name_the_fix(plane: ControlPlane, tmp_path: Path) -> None:
    unknown = plane.cli("git", "remote", "--app", "nope", check=False)
    assert unknown.code == 1
    assert "error: app 'nope' not found (HTTP 404)" in unknown.err
    assert "fix: create it with: launchdeck apps create nope" in unknown.err

    outside = plane.cli("git", "remote", "--app", "hello", "--add", cwd=tmp_path, check=False)
    assert outside.code == 1
    assert f"error: {tmp_path} is not inside a git repository" in outside.err
    assert "fix: run it from the app's repository, or make one: git init -b main" in outside.err
    assert not (plane.home / "git" / "nope.git").exists()
