"""Push-to-deploy on the control plane: branch -> environment mapping and its errors, the bare
repository and its hook, and the two routes (a recording deployments: nothing is built)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.errors import Invalid
from launchdeck.controlplane.git import GitRepos, GitUnavailable, environment_for
from launchdeck.controlplane.http import create_api
from launchdeck.domain import GitSpec
from launchdeck.system import Command, CommandFailed, Result, Runner
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane, leftovers, tarball

LAUNCHDECK = Path("/opt/launchdeck/bin/launchdeck")
SHA = "0123456789abcdef0123456789abcdef01234567"
PROCFILE = {"Procfile": "web: serve\n"}


class BareInitRunner(Runner):
    """Records argv; `git init --bare PATH` makes the repository's HEAD and hooks/ the way git
    would, or fails as git would when it is not installed."""

    def __init__(self, installed: bool = True) -> None:
        self.argvs: list[tuple[str, ...]] = []
        self.installed = installed

    def run(self, command: Command, *, check: bool = True) -> Result:
        self.argvs.append(command.argv)
        if not self.installed:
            result = Result(command, 127, "", "git: command not found")
            if check:
                raise CommandFailed(result)
            return result
        repo = Path(command.argv[-1])
        (repo / "hooks").mkdir(parents=True)
        (repo / "HEAD").write_text("ref: refs/heads/main\n")
        return Result(command, 0, "", "")


# -- environment_for -----------------------------------------------------------------------------

ENVS = ["production", "staging"]


def refused(git: GitSpec, branch: str, envs: list[str] = ENVS) -> tuple[int, str, str]:
    with pytest.raises(Invalid) as err:
        environment_for(git, branch, "shop", envs)
    return err.value.status, err.value.message, err.value.fix


def test_main_deploys_staging_by_default() -> None:
    assert environment_for(GitSpec(), "main", "shop", ENVS) == "staging"


def test_a_mapped_branch_deploys_its_environment() -> None:
    git = GitSpec({"main": "staging", "release/2": "production"})

    assert environment_for(git, "release/2", "shop", ENVS) == "production"


def test_an_unmapped_branch_is_refused_with_where_branches_go() -> None:
    assert refused(GitSpec(), "feature") == (
        422,
        "branch 'feature' maps to no environment (main -> staging)",
        "push to a mapped branch (git push launchdeck feature:main) "
        'or map it in launchdeck.toml: [git] branches = { main = "staging", feature = "staging" }',
    )


def test_branch_names_that_are_not_bare_toml_keys_are_quoted_in_the_fix() -> None:
    git = GitSpec({"main": "staging", "release/2": "production"})

    assert refused(git, "hotfix/1.2")[1:] == (
        "branch 'hotfix/1.2' maps to no environment (main -> staging, release/2 -> production)",
        "push to a mapped branch (git push launchdeck hotfix/1.2:main) or map it in "
        'launchdeck.toml: [git] branches = { main = "staging", "release/2" = "production", '
        '"hotfix/1.2" = "staging" }',
    )


def test_with_no_branch_mapped_the_fix_is_to_map_one() -> None:
    assert refused(GitSpec({}), "main") == (
        422,
        "branch 'main' maps to no environment (no branch is mapped)",
        'map it in launchdeck.toml: [git] branches = { main = "staging" }',
    )


def test_a_branch_mapped_to_an_unknown_environment_names_the_known_ones() -> None:
    assert refused(GitSpec({"main": "qa"}), "main") == (
        422,
        "[git] branches maps 'main' to 'qa', but app 'shop' has no environment 'qa' "
        "(it has: production, staging)",
        'map it to one of them in launchdeck.toml: [git] branches = { main = "staging" }',
    )


# -- GitRepos --------------------------------------------------------------------------------------


def test_a_repository_is_made_bare_on_first_use_with_the_deploying_hook(tmp_path: Path) -> None:
    runner = BareInitRunner()
    repos = GitRepos(tmp_path / "git", home=tmp_path, launchdeck=LAUNCHDECK, runner=runner)

    repo = repos.ensure("shop")

    assert repo == tmp_path / "git" / "shop.git"
    assert runner.argvs == [
        ("git", "init", "--bare", "--quiet", "--initial-branch=main", str(repo))
    ]
    hook = repo / "hooks" / "pre-receive"
    assert hook.read_text().splitlines()[-3:] == [
        f"LAUNCHDECK_HOME={tmp_path}",
        "export LAUNCHDECK_HOME",
        f"exec {LAUNCHDECK} git receive --app shop",
    ]
    assert stat.S_IMODE(hook.stat().st_mode) == 0o755


def test_an_existing_repository_is_kept_and_its_hook_rewritten(tmp_path: Path) -> None:
    runner = BareInitRunner()
    repos = GitRepos(tmp_path / "git", home=tmp_path, launchdeck=LAUNCHDECK, runner=runner)
    hook = repos.ensure("shop") / "hooks" / "pre-receive"
    hook.write_text("stale")

    repos.ensure("shop")

    assert len(runner.argvs) == 1 and "git receive --app shop" in hook.read_text()


def test_paths_in_the_hook_are_quoted_for_the_shell(tmp_path: Path) -> None:
    home = tmp_path / "my home"
    repos = GitRepos(tmp_path / "git", home=home, launchdeck=LAUNCHDECK, runner=BareInitRunner())

    assert f"LAUNCHDECK_HOME='{home}'\n" in repos.hook("shop")


def test_without_git_the_repository_cannot_be_made_and_the_fix_says_install_it(
    tmp_path: Path,
) -> None:
    runner = BareInitRunner(installed=False)
    repos = GitRepos(tmp_path / "git", home=tmp_path, launchdeck=LAUNCHDECK, runner=runner)

    with pytest.raises(GitUnavailable) as err:
        repos.ensure("shop")

    assert err.value.status == 503
    assert err.value.message == (
        f"could not create {tmp_path / 'git' / 'shop.git'}: git: command not found"
    )
    assert err.value.fix == "install git on the control plane's host (apt-get install git)"


def test_remove_deletes_the_repository(tmp_path: Path) -> None:
    repos = GitRepos(
        tmp_path / "git", home=tmp_path, launchdeck=LAUNCHDECK, runner=BareInitRunner()
    )
    repo = repos.ensure("shop")

    repos.remove("shop")

    assert not repo.exists()


# -- the routes ------------------------------------------------------------------------------------


class GitControlPlane(FakeControlPlane):
    def __init__(self, home: Path) -> None:
        super().__init__(home)
        self.git = GitRepos(home / "git", home=home, launchdeck=LAUNCHDECK, runner=BareInitRunner())


@pytest.fixture
def plane(tmp_path: Path):
    cp = GitControlPlane(tmp_path / "home")
    yield cp
    cp.store.close()


@pytest.fixture
def api(plane: GitControlPlane) -> TestClient:
    client = TestClient(create_api(plane, TOKEN))  # type: ignore[arg-type]
    assert client.post("/v1/apps", json={"name": "shop"}, headers=AUTH).status_code == 201
    return client


def push(api: TestClient, branch: str, files: dict[str, str] = PROCFILE, headers=AUTH):
    return api.post(
        "/v1/apps/shop/pushes",
        params={"branch": branch, "git_sha": SHA},
        content=tarball(files),
        headers=headers,
    )


def token(api: TestClient, role: str) -> dict[str, str]:
    made = api.post("/v1/tokens", json={"role": role, "name": "alice"}, headers=AUTH).json()
    return {"Authorization": f"Bearer {made['token']}"}


def test_the_git_route_answers_the_repository_url(api: TestClient, plane: GitControlPlane) -> None:
    response = api.post("/v1/apps/shop/git", headers=AUTH)

    assert response.status_code == 200
    assert response.json() == {"app": "shop", "url": str(plane.home / "git" / "shop.git")}


def test_the_git_route_of_an_unknown_app_says_create_it(api: TestClient) -> None:
    response = api.post("/v1/apps/nope/git", headers=AUTH)

    assert (response.status_code, response.json()) == (
        404,
        {"error": "app 'nope' not found", "fix": "create it with: launchdeck apps create nope"},
    )


def test_a_push_of_main_deploys_the_commit_to_staging(
    api: TestClient, plane: GitControlPlane
) -> None:
    response = push(api, "main")

    assert response.status_code == 202 and response.json()["env"] == "staging"
    [call] = plane.deployments.deploys
    assert (call.env.name, call.git_sha, call.files) == ("staging", SHA, ["Procfile"])


def test_the_commits_manifest_maps_its_branches(api: TestClient, plane: GitControlPlane) -> None:
    files = {**PROCFILE, "launchdeck.toml": '[git]\nbranches = { trunk = "production" }\n'}

    assert push(api, "trunk", files).json()["env"] == "production"
    assert push(api, "main", files).status_code == 422


def test_a_push_of_an_unmapped_branch_changes_nothing(
    api: TestClient, plane: GitControlPlane
) -> None:
    response = push(api, "feature")

    assert response.status_code == 422
    assert response.json()["error"] == "branch 'feature' maps to no environment (main -> staging)"
    assert response.json()["fix"].startswith("push to a mapped branch (git push launchdeck")
    assert plane.deployments.deploys == [] and leftovers(plane) == []


def test_a_push_mapped_to_an_unknown_environment_changes_nothing(
    api: TestClient, plane: GitControlPlane
) -> None:
    files = {**PROCFILE, "launchdeck.toml": '[git]\nbranches = { main = "qa" }\n'}

    response = push(api, "main", files)

    assert (response.status_code, response.json()["error"]) == (
        422,
        "[git] branches maps 'main' to 'qa', but app 'shop' has no environment 'qa' "
        "(it has: production, staging)",
    )
    assert plane.deployments.deploys == [] and leftovers(plane) == []


def test_a_push_with_a_broken_manifest_says_fix_commit_and_push(
    api: TestClient, plane: GitControlPlane
) -> None:
    response = push(api, "main", {"launchdeck.toml": "app = 1\n"})

    assert response.status_code == 422
    assert response.json()["fix"] == "fix the app, commit, then push again"
    assert plane.deployments.deploys == [] and leftovers(plane) == []


def test_a_push_to_an_unknown_app_is_404(api: TestClient) -> None:
    response = api.post(
        "/v1/apps/nope/pushes", params={"branch": "main"}, content=b"x", headers=AUTH
    )

    assert response.status_code == 404


def test_the_role_is_checked_on_the_environment_the_branch_maps_to(
    api: TestClient, plane: GitControlPlane
) -> None:
    deployer = token(api, "deployer")
    files = {**PROCFILE, "launchdeck.toml": '[git]\nbranches = { main = "production" }\n'}

    refused = push(api, "main", files, headers=deployer)

    assert (refused.status_code, refused.json()["error"]) == (
        403,
        "alice (role deployer) cannot change 'production' directly",
    )
    assert plane.deployments.deploys == [] and leftovers(plane) == []
    assert push(api, "main", headers=deployer).status_code == 202  # main -> staging
    assert [call.env.name for call in plane.deployments.deploys] == ["staging"]


def test_a_viewer_cannot_push(api: TestClient, plane: GitControlPlane) -> None:
    response = push(api, "main", headers=token(api, "viewer"))

    assert response.status_code == 403 and plane.deployments.deploys == []
