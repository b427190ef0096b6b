"""The system accounts app code runs as, made on first use (as Heroku gives every dyno its own
container, and piku every app its own user).

- `ld-<app>` builds an app and runs its tests: it never sees any environment's config.
- `ld-<app>.<env>` runs an environment's release command and instances: staging's code cannot
  read production's processes (their environment holds production's secrets), nor its files.
- All of an app's accounts share the group `ld-<app>`, which may read, never change, the app's
  builds. Names longer than Linux allows (32) keep a readable head and end in a hash.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from launchdeck.drivers.local.isolation.errors import AccountUnavailable
from launchdeck.system import Command, Runner

MAX_NAME = 32  # useradd's limit
NOLOGIN = "/usr/sbin/nologin"


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int  # the app's group
    home: Path


def account_name(app: str, env: str | None = None) -> str:
    """`ld-<app>` or `ld-<app>.<env>`: "." occurs in no app or environment name, so no two
    (app, env) pairs share an account."""
    name = f"ld-{app}" if env is None else f"ld-{app}.{env}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}-{digest}"


class Accounts:
    """Creates (once) and finds the accounts of each app, and their home directories under
    `homes` (`<app>/build`, `<app>/envs/<env>`), each 0700 and owned by its account."""

    def __init__(
        self,
        homes: Path,
        *,
        runner: Runner | None = None,
        users: Callable[[str], pwd.struct_passwd] = pwd.getpwnam,
        groups: Callable[[str], grp.struct_group] = grp.getgrnam,
    ) -> None:
        self.homes = homes
        self._runner = runner or Runner()
        self._users, self._groups = users, groups
        self._lock = threading.Lock()
        self._known: dict[str, Account] = {}

    def builder(self, app: str) -> Account:
        return self._ensure(account_name(app), account_name(app), self.homes / app / "build")

    def runtime(self, app: str, env: str) -> Account:
        home = self.homes / app / "envs" / env
        return self._ensure(account_name(app, env), account_name(app), home)

    def _ensure(self, name: str, group: str, home: Path) -> Account:
        with self._lock:
            account = self._known.get(name)
            if account is None:
                gid = self._group(group)
                account = Account(name, self._user(name, group, home), gid, home)
                self._known[name] = account
            if not account.home.is_dir():  # new, or its app was destroyed and made again
                self._make_home(account)
            return account

    def _group(self, group: str) -> int:
        try:
            return self._groups(group).gr_gid
        except KeyError:
            self._add(("groupadd", "--system", group), group)
            return self._groups(group).gr_gid

    def _user(self, name: str, group: str, home: Path) -> int:
        try:
            entry = self._users(name)
        except KeyError:
            argv = ("useradd", "--system", "--gid", group, "--home-dir", str(home),
                    "--no-create-home", "--shell", NOLOGIN, name)  # fmt: skip
            self._add(argv, name)
            entry = self._users(name)
        if entry.pw_uid == 0:
            raise AccountUnavailable(name, "it has uid 0 (root)")
        return entry.pw_uid

    def _add(self, argv: tuple[str, ...], name: str) -> None:
        result = self._runner.run(Command(argv), check=False)
        # 9: made meanwhile by another control plane on this host, which is as good
        if result.returncode not in (0, 9):
            raise AccountUnavailable(name, f"`{' '.join(argv)}` failed: {result.output}")

    def _make_home(self, account: Account) -> None:
        for parent in reversed(account.home.relative_to(self.homes).parents):
            directory = self.homes / parent
            directory.mkdir(exist_ok=True)
            os.chmod(directory, 0o711)  # every account passes through; none may list
        account.home.mkdir(exist_ok=True)
        os.chown(account.home, account.uid, account.gid, follow_symlinks=False)
        os.chmod(account.home, 0o700)
