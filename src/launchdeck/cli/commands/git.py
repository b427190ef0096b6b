"""`launchdeck git remote` and the hidden `launchdeck git receive` that the control plane's
pre-receive hook runs: each pushed branch is uploaded, deployed to the environment its
`[git] branches` entry names, and followed; the push is accepted only if that succeeded."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from launchdeck.cli.client import Client, CliError, Endpoint
from launchdeck.cli.deployments import follow
from launchdeck.cli.output import console, err
from launchdeck.cli.source import default_app
from launchdeck.system import Command, CommandFailed, Runner

REMOTE = "launchdeck"
BRANCH_PREFIX = "refs/heads/"

git_cmd = typer.Typer(help="Push-to-deploy: git push launchdeck main.", no_args_is_help=True)


@dataclass(frozen=True)
class RefUpdate:
    """One `old new ref` line a pre-receive hook reads."""

    old: str
    new: str
    ref: str

    @property
    def branch(self) -> str | None:
        return self.ref.removeprefix(BRANCH_PREFIX) if self.ref.startswith(BRANCH_PREFIX) else None

    @property
    def deletes(self) -> bool:
        return set(self.new) == {"0"}


def parse_updates(text: str) -> list[RefUpdate]:
    updates = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 3:
            raise CliError(f"pre-receive: unexpected line {line!r}", "expected 'OLD NEW REF'")
        updates.append(RefUpdate(*fields))
    return updates


class Git:
    """The git commands the CLI runs, as Command values through one Runner."""

    def __init__(self, cwd: Path | None = None, runner: Runner | None = None) -> None:
        self.cwd = cwd  # None: the caller's (a hook runs inside the bare repository)
        self.runner = runner or Runner()

    def _run(self, *args: str, check: bool = True) -> str | None:
        try:
            command = Command(("git", *args), cwd=self.cwd, timeout=120)
            result = self.runner.run(command, check=check)
        except CommandFailed as failed:
            raise CliError(f"`{failed.result.command}` failed: {failed.result.output}") from None
        return result.stdout.strip() if result.ok else None

    def in_repository(self) -> bool:
        return self._run("rev-parse", "--git-dir", check=False) is not None

    def set_remote(self, name: str, url: str) -> str:
        """Add remote `name`, or point it at `url` if it exists; say which."""
        if self._run("remote", "get-url", name, check=False) is None:
            self._run("remote", "add", name, url)
            return "added"
        self._run("remote", "set-url", name, url)
        return "updated"

    def archive(self, commit: str, target: Path) -> None:
        """A gzipped tar of `commit`'s tree (in a hook, from the push's quarantine)."""
        self._run("archive", "--format=tar.gz", f"--output={target}", commit)


AppOpt = Annotated[
    str | None, typer.Option("--app", "-a", help="App name (default: the manifest's).")
]


@git_cmd.command("remote")
def remote(
    app_name: AppOpt = None,
    add: Annotated[
        bool, typer.Option("--add", help=f"Add it to this directory's repository as {REMOTE!r}.")
    ] = False,
) -> None:
    """Print the app's git remote: its repository on the control plane, made on first use.

    `git push launchdeck main` then builds, tests and deploys the commit
    (main -> staging, unless the manifest's git.branches maps it elsewhere).
    The URL is a path on the control plane's host: from another machine,
    the same path works as ssh://HOST/PATH.
    """
    name = app_name or default_app(Path.cwd())
    if not name:
        raise CliError(
            "no app given", "pass --app NAME or run from a directory with launchdeck.toml"
        )
    git = Git(Path.cwd())
    if add and not git.in_repository():
        raise CliError(
            f"{Path.cwd()} is not inside a git repository",
            "run it from the app's repository, or make one: "
            "git init -b main && git add -A && git commit -m 'first commit'",
        )
    url = str(Client(Endpoint.find()).request("POST", f"/v1/apps/{name}/git")["url"])
    if add:
        done = git.set_remote(REMOTE, url)
        err.print(f"{done} git remote {REMOTE!r}; deploy with: git push {REMOTE} main")
    sys.stdout.write(url + "\n")


@git_cmd.command("receive", hidden=True)
def receive(app_name: Annotated[str, typer.Option("--app")]) -> None:
    """Run by the pre-receive hook with `old new ref` lines on stdin."""
    updates = parse_updates(sys.stdin.read())
    for update in updates:
        if update.deletes:
            raise CliError(
                f"refusing to delete {update.ref}: the launchdeck remote only deploys",
                "push commits to deploy; what runs is not changed by branches going away",
            )
    api = Client(Endpoint.find())
    for update in updates:
        if update.branch is None:
            console.print(f"-----> {update.ref}: kept, not deployed (only branches deploy)")
        else:
            _deploy(api, app_name, update.branch, update.new)


def _deploy(api: Client, app: str, branch: str, commit: str) -> None:
    console.print(f"-----> launchdeck: deploying {app} {branch} at {commit[:12]}")
    with tempfile.TemporaryDirectory(prefix="launchdeck-push-") as tmp:
        archive = Path(tmp) / "source.tar.gz"
        Git().archive(commit, archive)
        dep = api.request(
            "POST",
            f"/v1/apps/{app}/pushes",
            params={"branch": branch, "git_sha": commit},
            content=archive.read_bytes(),
            headers={"Content-Type": "application/gzip"},
        )
    console.print(f"-----> {branch} deploys to {dep['env']} (deployment {dep['id']})")
    follow(api, dep)
    url = api.request("GET", f"/v1/apps/{app}/envs/{dep['env']}")["url"]
    console.print(f"-----> {app}/{dep['env']} runs {commit[:12]} at {url}", markup=False)
