"""The environments the local driver hands to a build's code: an instance's, and the test
phase's (the build's own variables and who it is for, never the app's config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchdeck.build import Artifact
from launchdeck.domain import BuildRef, Instance, InstanceState, Release
from launchdeck.drivers.local.cgroups import Cgroups
from launchdeck.drivers.local.driver import LocalDriver

DIGEST = "sha256:" + "cd" * 32
SHA = "0123456789abcdef0123456789abcdef01234567"
HOST = {"PATH": "/usr/bin:/bin", "HOME": "/home/deploy", "SECRET_OF_THE_HOST": "x"}


def artifact(tmp_path: Path, git_sha: str | None = SHA) -> Artifact:
    return Artifact(
        ref=BuildRef(digest=DIGEST, kind="python", created_at=1.0, git_sha=git_sha),
        app_dir=tmp_path / "app",
        env={"PATH": "/builds/venv/bin:$PATH", "VIRTUAL_ENV": "/builds/venv"},
        deps_key="k",
        reused_deps=True,
    )


class OneBuild:
    """The builder's `get`, for the one build these tests use."""

    def __init__(self, build: Artifact) -> None:
        self.build = build

    def get(self, digest: str) -> Artifact:
        assert digest == self.build.ref.digest
        return self.build


def driver(tmp_path: Path, build: Artifact) -> LocalDriver:
    return LocalDriver(
        tmp_path,
        builder=OneBuild(build),  # type: ignore[arg-type]
        router=None,  # type: ignore[arg-type]
        ports=None,  # type: ignore[arg-type]
        cgroups=Cgroups(root=tmp_path / "no-cgroups"),
        environ=dict(HOST),
    )


def test_the_test_env_is_the_builds_env_and_who_it_is_for(tmp_path: Path) -> None:
    build = artifact(tmp_path)

    env = driver(tmp_path, build).test_env(build, app="shop", env="staging")

    assert env == {
        "PATH": "/builds/venv/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",  # HOME is the account's, set by its jail
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "VIRTUAL_ENV": "/builds/venv",
        "LAUNCHDECK_APP": "shop",
        "LAUNCHDECK_ENV": "staging",
        "LAUNCHDECK_BUILD": DIGEST,
        "GIT_SHA": SHA,
        "CI": "true",
    }


def test_the_test_env_has_no_git_sha_when_the_build_has_none(tmp_path: Path) -> None:
    build = artifact(tmp_path, git_sha=None)

    assert "GIT_SHA" not in driver(tmp_path, build).test_env(build, app="shop", env="staging")


@pytest.mark.parametrize("git_sha", [SHA, None])
def test_an_instance_gets_the_same_build_env_plus_config_and_its_identity(
    tmp_path: Path, git_sha: str | None
) -> None:
    build = artifact(tmp_path, git_sha)
    release = Release(
        app="shop",
        env="staging",
        version=4,
        build=build.ref,
        config={"GREETING": "hi"},
        services={},
        created_at=1.0,
    )
    inst = Instance(
        id="web.v4-abcdef",
        app="shop",
        env="staging",
        service="web",
        release=4,
        state=InstanceState.STARTING,
        port=20001,
    )

    env = driver(tmp_path, build).instance_env(inst, release)

    assert env["PATH"] == "/builds/venv/bin:/usr/bin:/bin" and env["GREETING"] == "hi"
    assert (env["LAUNCHDECK_RELEASE"], env["PORT"], env.get("GIT_SHA")) == ("v4", "20001", git_sha)
    assert "CI" not in env and "SECRET_OF_THE_HOST" not in env
