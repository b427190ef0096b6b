"""What this host offers to keep app code away from the control plane and from other apps, and
the jails made from it.

| host                         | app code runs as              | namespaces (bubblewrap)        |
| ---------------------------- | ----------------------------- | ------------------------------ |
| root, bubblewrap works       | `ld-<app>[.<env>]`            | yes                            |
| root, no bubblewrap          | `ld-<app>[.<env>]`            | no                             |
| not root, bubblewrap works   | the control plane's account   | yes: they hide its home        |
| not root, no bubblewrap      | the control plane's account   | no: nothing hides its home     |
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from launchdeck.drivers.local.isolation.accounts import Account, Accounts, account_name
from launchdeck.drivers.local.isolation.errors import IsolationError
from launchdeck.drivers.local.isolation.jail import AccountJail, Namespaces
from launchdeck.system import Command, CommandFailed, Runner, passable_dirs

# What build steps may see of the daemon's environment, besides PATH: locale, time zone, and
# how to reach package registries (never credentials of the control plane's own).
PASSED_TO_BUILDS = ("LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR")
PASSED_PREFIXES = ("PIP_", "NPM_CONFIG_", "npm_config_")
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
FALLBACK_PATH = "/usr/local/bin:/usr/bin:/bin"
SYSTEM_PYTHON = "/usr/bin/python3"


@dataclass(frozen=True)
class Support:
    accounts: bool  # an account per app environment
    namespaces: bool
    detail: str  # what `status` says


class Isolation:
    """Jails for an app's build and for each of its environments, under `apps` (the build store
    and the accounts' homes), keeping `home` (the control plane's own state) out of reach."""

    def __init__(
        self,
        apps: Path,
        *,
        home: Path,
        runner: Runner | None = None,
        euid: int | None = None,
        bwrap: str | None = None,
        accounts: Accounts | None = None,
    ) -> None:
        self.apps, self.home = apps, home
        self.store = apps / "builds"
        self._runner = runner or Runner()
        self.switch = (os.geteuid() if euid is None else euid) == 0
        self.accounts = accounts or Accounts(apps / "homes", runner=self._runner)
        self.namespaces = self._namespaces(bwrap if bwrap is not None else shutil.which("bwrap"))
        self.support = self._support()

    def prepare(self) -> None:
        """The directories every account passes through (none may list them)."""
        for path in (self.apps, self.store, self.accounts.homes):
            if self.switch:  # the parents it makes too (the daemon's umask would close them)
                passable_dirs(path)
            else:
                path.mkdir(parents=True, exist_ok=True)
            os.chmod(path, 0o711 if self.switch else 0o700)
        if self.switch and not _reachable(self.apps):
            raise IsolationError(
                f"app accounts cannot reach {self.apps}: a directory above it keeps them out",
                "set LAUNCHDECK_APPS_DIR to a directory under one every account may pass "
                "through (e.g. /var/lib/launchdeck/apps), or chmod o+x the directories above it",
            )

    def builder(self, app: str) -> AccountJail:
        account = self.accounts.builder(app) if self.switch else self._own(app, "build")
        return self._jail(app, account)

    def runtime(self, app: str, env: str) -> AccountJail:
        account = self.accounts.runtime(app, env) if self.switch else self._own(app, "envs", env)
        return self._jail(app, account)

    def forget(self, app: str) -> None:
        """Remove an app's homes (its accounts stay: a new app of that name reuses them)."""
        shutil.rmtree(self.accounts.homes / app, ignore_errors=True)

    def environ(self, environ: Mapping[str, str]) -> dict[str, str]:
        """What build steps see of `environ`: the allowlist above and a PATH they can use."""
        kept = {
            key: value
            for key, value in environ.items()
            if key in PASSED_TO_BUILDS or key in PROXIES or key.startswith(PASSED_PREFIXES)
        }
        kept["PATH"] = self._path(environ.get("PATH", FALLBACK_PATH))
        kept.setdefault("LANG", "C.UTF-8")
        return kept

    def python(self) -> str:
        """The interpreter app venvs are made from: ours, unless app accounts cannot run it
        (a pyenv under root's 0700 home), then the system's."""
        if not self.switch or _reachable(Path(sys.executable), Path(sys.base_prefix)):
            return sys.executable
        return SYSTEM_PYTHON

    # -- inside --------------------------------------------------------------------------

    def _jail(self, app: str, account: Account) -> AccountJail:
        return AccountJail(
            account, owner=account_name(app), switch=self.switch, namespaces=self.namespaces
        )

    def _own(self, app: str, *parts: str) -> Account:
        home = self.accounts.homes.joinpath(app, *parts)
        home.mkdir(parents=True, exist_ok=True)
        name = _user_name(os.geteuid())
        return Account(name, os.geteuid(), os.getegid(), home)

    def _namespaces(self, bwrap: str | None) -> Namespaces | None:
        if bwrap is None:
            return None
        namespaces = Namespaces(bwrap, hidden=(self.home,), shown=(self.store,))
        probe = Command((*namespaces.argv(cwd=None, writable=()), "/bin/true"), timeout=10)
        try:
            works = self._runner.run(probe, check=False).ok
        except CommandFailed:  # timed out
            works = False
        return namespaces if works else None

    def _support(self) -> Support:
        ns = self.namespaces is not None
        if self.switch:
            who = "its own account per app environment (ld-<app>.<env>; builds as ld-<app>)"
        else:
            who = f"the control plane's own account ({_user_name(os.geteuid())})"
        if ns:
            how = "bubblewrap: a read-only system, a private /tmp, its own process namespace"
            if not self.switch:
                how += ", the control plane's home hidden"
        else:
            how = "no namespaces (install bubblewrap for a private /tmp and a read-only system)"
            if not self.switch:
                how = "nothing hides the control plane's home: run it as root or install bubblewrap"
        return Support(self.switch, ns, f"app code runs as {who}; {how}")

    def _path(self, path: str) -> str:
        entries = [p for p in path.split(":") if p and (not self.switch or _reachable(Path(p)))]
        return ":".join(entries) or FALLBACK_PATH


def _reachable(*paths: Path) -> bool:
    """Whether an account of no group of ours may reach (and run) each path, links followed."""
    for path in paths:
        try:
            target = path.resolve(strict=True)
        except OSError:
            return False
        for directory in (*reversed(target.parents), target):
            try:
                mode = directory.stat().st_mode
            except OSError:
                return False
            if not mode & stat.S_IXOTH:
                return False
    return True


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
