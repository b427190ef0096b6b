"""Push-to-deploy: a bare repository per app whose pre-receive hook deploys each pushed branch,
and the manifest's `[git] branches` mapping from a branch to the environment it deploys.

The hook runs `launchdeck git receive` (the CLI, over the HTTP API like any other client): it
uploads the pushed commit and follows the deployment, so git rejects the push, and leaves the
branch where it was, unless the deployment succeeds."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path

from launchdeck.controlplane.errors import ApiError, Invalid
from launchdeck.domain import GitSpec
from launchdeck.system import Command, CommandFailed, Runner, atomic_write

HOOK = """\
#!/bin/sh
# Installed by launchdeck: every pushed branch is built, tested and deployed before git
# accepts it; a failed deployment rejects the push and the branch stays where it was.
LAUNCHDECK_HOME={home}
export LAUNCHDECK_HOME
exec {launchdeck} git receive --app {app}
"""


class GitUnavailable(ApiError):
    status = 503


class GitRepos:
    """`<root>/<app>.git`, made on first use with its hook; the hook is rewritten every time
    the repository is asked for, so it follows a moved virtualenv or home."""

    def __init__(
        self, root: Path, *, home: Path, launchdeck: Path, runner: Runner | None = None
    ) -> None:
        self.root, self.home, self.launchdeck = root, home, launchdeck
        self.runner = runner or Runner()

    def path(self, app: str) -> Path:
        return self.root / f"{app}.git"

    def ensure(self, app: str) -> Path:
        repo = self.path(app)
        if not (repo / "HEAD").is_file():
            self.root.mkdir(parents=True, exist_ok=True)
            init = ("git", "init", "--bare", "--quiet", "--initial-branch=main", str(repo))
            try:
                self.runner.run(Command(init, timeout=30))
            except CommandFailed as failed:
                raise GitUnavailable(
                    f"could not create {repo}: {failed.result.output}",
                    "install git on the control plane's host (apt-get install git)",
                ) from None
        atomic_write(repo / "hooks" / "pre-receive", self.hook(app), mode=0o755)
        return repo

    def hook(self, app: str) -> str:
        return HOOK.format(
            home=shlex.quote(str(self.home)),
            launchdeck=shlex.quote(str(self.launchdeck)),
            app=shlex.quote(app),
        )

    def remove(self, app: str) -> None:
        shutil.rmtree(self.path(app), ignore_errors=True)


def environment_for(git: GitSpec, branch: str, app: str, envs: Sequence[str]) -> str:
    """The environment a push of `branch` deploys; Invalid (nothing changes) when the branch
    maps to none, or to an environment the app does not have."""
    env = git.env_for(branch)
    fallback = "staging" if "staging" in envs or not envs else envs[0]
    if env is None:
        mapped = ", ".join(f"{b} -> {e}" for b, e in git.branches.items())
        wanted = _toml({**git.branches, branch: next(iter(git.branches.values()), fallback)})
        fix = f"map it in launchdeck.toml: [git] branches = {wanted}"
        if git.branches:
            target = next(iter(git.branches))
            fix = f"push to a mapped branch (git push launchdeck {branch}:{target}) or {fix}"
        raise Invalid(
            f"branch {branch!r} maps to no environment ({mapped or 'no branch is mapped'})", fix
        )
    if env not in envs:
        raise Invalid(
            f"[git] branches maps {branch!r} to {env!r}, but app {app!r} has no environment "
            f"{env!r} (it has: {', '.join(envs) or 'none'})",
            "map it to one of them in launchdeck.toml: "
            f"[git] branches = {_toml({**git.branches, branch: fallback})}",
        )
    return env


def _toml(branches: dict[str, str]) -> str:
    # Branch names may hold '/' or '.', which a bare TOML key may not.
    def key(name: str) -> str:
        return name if name.replace("-", "").replace("_", "").isalnum() else f'"{name}"'

    return "{ " + ", ".join(f'{key(b)} = "{e}"' for b, e in branches.items()) + " }"
