"""`launchdeck git`: the hook's ref lines, the git commands run as argv, and the refusals that
happen before the control plane is asked anything."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from launchdeck.cli.client import CliError
from launchdeck.cli.commands import git as git_cli
from launchdeck.cli.commands.git import Git, RefUpdate, parse_updates
from launchdeck.system import Command, Result, Runner

OLD, NEW, ZERO = "a" * 40, "b" * 40, "0" * 40


class ScriptedGit(Runner):
    """Records each git argv and answers with the exit code scripted for its subcommand."""

    def __init__(self, codes: dict[str, int] | None = None) -> None:
        self.codes = codes or {}
        self.argvs: list[tuple[str, ...]] = []

    def run(self, command: Command, *, check: bool = True) -> Result:
        self.argvs.append(command.argv)
        key = " ".join(command.argv[1:3])
        return Result(command, self.codes.get(key, 0), "", "")


def test_each_hook_line_is_one_update() -> None:
    text = f"{OLD} {NEW} refs/heads/main\n{ZERO} {NEW} refs/tags/v1\n{OLD} {ZERO} refs/heads/old\n"

    updates = parse_updates(text)

    assert [(u.branch, u.deletes) for u in updates] == [
        ("main", False),
        (None, False),
        ("old", True),
    ]


def test_a_branch_keeps_its_slashes() -> None:
    assert RefUpdate(OLD, NEW, "refs/heads/release/2").branch == "release/2"


def test_a_malformed_hook_line_is_an_error() -> None:
    with pytest.raises(CliError) as err:
        parse_updates("main\n")

    assert (err.value.message, err.value.fix) == (
        "pre-receive: unexpected line 'main'",
        "expected 'OLD NEW REF'",
    )


def test_a_push_that_deletes_a_branch_is_refused_before_anything_deploys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = f"{OLD} {NEW} refs/heads/main\n{OLD} {ZERO} refs/heads/feature\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    monkeypatch.setattr(git_cli, "Endpoint", None)  # reaching for the API would fail loudly

    with pytest.raises(CliError) as err:
        git_cli.receive("shop")

    assert err.value.message == (
        "refusing to delete refs/heads/feature: the launchdeck remote only deploys"
    )


def test_a_new_remote_is_added_and_an_existing_one_repointed(tmp_path: Path) -> None:
    missing = ScriptedGit({"remote get-url": 2})
    existing = ScriptedGit()

    assert Git(tmp_path, missing).set_remote("launchdeck", "/srv/git/shop.git") == "added"
    assert Git(tmp_path, existing).set_remote("launchdeck", "/srv/git/shop.git") == "updated"

    assert missing.argvs[-1] == ("git", "remote", "add", "launchdeck", "/srv/git/shop.git")
    assert existing.argvs[-1] == ("git", "remote", "set-url", "launchdeck", "/srv/git/shop.git")


def test_the_archive_is_a_gzipped_tar_of_the_pushed_commit(tmp_path: Path) -> None:
    runner = ScriptedGit()

    Git(runner=runner).archive(NEW, tmp_path / "source.tar.gz")

    assert runner.argvs == [
        ("git", "archive", "--format=tar.gz", f"--output={tmp_path / 'source.tar.gz'}", NEW)
    ]


def test_adding_the_remote_outside_a_repository_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        git_cli, "Git", lambda cwd: Git(cwd, ScriptedGit({"rev-parse --git-dir": 128}))
    )
    monkeypatch.setattr(git_cli, "Endpoint", None)  # refused before the API is asked

    with pytest.raises(CliError) as err:
        git_cli.remote("shop", add=True)

    assert (err.value.message, err.value.fix) == (
        f"{tmp_path} is not inside a git repository",
        "run it from the app's repository, or make one: "
        "git init -b main && git add -A && git commit -m 'first commit'",
    )


class AnyEndpoint:
    @staticmethod
    def find() -> None:
        return None


class NoApi:
    """A client that must not be asked anything."""

    def __init__(self, endpoint: object) -> None:
        pass

    def request(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the API was asked")


def test_a_pushed_tag_is_kept_without_deploying(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{ZERO} {NEW} refs/tags/v1\n"))
    monkeypatch.setattr(git_cli, "Endpoint", AnyEndpoint)
    monkeypatch.setattr(git_cli, "Client", NoApi)

    git_cli.receive("shop")

    assert "refs/tags/v1: kept, not deployed (only branches deploy)" in capsys.readouterr().out
