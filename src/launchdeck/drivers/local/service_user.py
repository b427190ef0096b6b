"""The system account an add-on server runs as.

PostgreSQL's initdb and postgres refuse to run as root, so a root control plane runs them as the
Debian `postgres` account (through `setpriv`, which needs no PAM session) and hands that account
the directories it writes. A non-root control plane runs them as itself and changes nothing.
"""

from __future__ import annotations

import os
import pwd
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from launchdeck.drivers.local.addon_errors import DataDirUnreachable, ServiceUserMissing
from launchdeck.system import passable_dirs


@dataclass(frozen=True)
class ServiceUser:
    name: str
    uid: int
    gid: int
    groups: tuple[int, ...] = ()
    switch: bool = False  # True: we are root and must become this account to run the server

    def wrap(self, argv: Sequence[str]) -> tuple[str, ...]:
        """`argv` as run by this account."""
        if not self.switch:
            return tuple(argv)
        switch = ("setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--")
        return (*switch, *argv)

    def own(self, *paths: Path) -> None:
        if self.switch:
            for path in paths:
                os.chown(path, self.uid, self.gid, follow_symlinks=False)

    def own_tree(self, top: Path) -> None:
        if not self.switch:
            return
        self.own(top)
        for base, dirs, files in os.walk(top):
            for name in (*dirs, *files):
                os.chown(Path(base, name), self.uid, self.gid, follow_symlinks=False)

    def make_dirs(self, *paths: Path, mode: int = 0o700) -> None:
        """Create `paths` (and missing parents) and give each to this account with `mode`."""
        for path in paths:
            passable_dirs(path.parent)  # our umask would make new parents 0700: out of its reach
            path.mkdir(exist_ok=True)
            path.chmod(mode)
            self.own(path)

    def check_reachable(self, target: Path) -> None:
        """Raise unless this account may search every existing directory above `target`."""
        if not self.switch:
            return
        for directory in reversed(target.absolute().parents):
            try:
                info = directory.stat()
            except FileNotFoundError:
                return  # we create the rest, and own it
            if not self._may_search(info):
                mode = stat.S_IMODE(info.st_mode)
                raise DataDirUnreachable(self.name, str(target), str(directory), mode)

    def _may_search(self, info: os.stat_result) -> bool:
        if info.st_uid == self.uid:
            return bool(info.st_mode & stat.S_IXUSR)
        if info.st_gid == self.gid or info.st_gid in self.groups:
            return bool(info.st_mode & stat.S_IXGRP)
        return bool(info.st_mode & stat.S_IXOTH)


def service_user(
    account: str,
    *,
    package: str,
    euid: int | None = None,
    lookup: Callable[[str], pwd.struct_passwd] = pwd.getpwnam,
) -> ServiceUser:
    """`account` when we run as root (`package` creates it), else ourselves."""
    euid = os.geteuid() if euid is None else euid
    if euid != 0:
        return ServiceUser(name=_own_name(euid), uid=euid, gid=os.getegid())
    try:
        entry = lookup(account)
    except KeyError:
        raise ServiceUserMissing(account, package) from None
    groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return ServiceUser(entry.pw_name, entry.pw_uid, entry.pw_gid, groups, switch=True)


def _own_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
