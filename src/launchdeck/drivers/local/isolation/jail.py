"""A jail for one account: commands become `[bwrap ... --] [setpriv ... --] argv`.

bubblewrap (when the host has it) gives the code a read-only view of the system, its own /tmp,
/var/tmp and /dev/shm, its own process and IPC namespaces (it cannot see, let alone signal, the
control plane or another app), and an empty directory where the control plane's home is.
setpriv (when we are root) then becomes the account for good: no supplementary groups, no
capabilities, and no_new_privs, so no setuid program can bring root back.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from launchdeck.drivers.local.isolation.accounts import Account
from launchdeck.system import Command

PRIVATE = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))


@dataclass(frozen=True)
class Namespaces:
    bwrap: str  # path of a bwrap that works here
    hidden: tuple[Path, ...] = ()  # replaced by empty directories (the control plane's home)
    shown: tuple[Path, ...] = ()  # bound read-only, after `hidden` (the build store)

    def argv(self, *, cwd: Path | None, writable: Sequence[Path]) -> tuple[str, ...]:
        args = [self.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        for path in PRIVATE:  # sticky and open to all, as the host's: the app's account writes
            args += ["--perms", "01777", "--tmpfs", str(path)]
        for path in self.hidden:
            args += ["--tmpfs", str(path)]
        args += ["--unshare-pid", "--unshare-ipc"]
        made: set[Path] = set()
        for path in self.shown:
            args += [*self._passages(path, made), "--ro-bind-try", str(path), str(path)]
        for path in writable:
            args += [*self._passages(path, made), "--bind", str(path), str(path)]
        if cwd is not None:
            args += ["--chdir", str(cwd)]
        return (*args, "--")

    def _passages(self, path: Path, made: set[Path]) -> list[str]:
        """Directories above a bind that exist only in one of our tmpfs (an apps dir under
        /tmp): bwrap would make them 0700 root, so they are made 0711, passable."""
        args: list[str] = []
        for parent in reversed(path.parents):
            if parent not in made and any(
                parent != top and parent.is_relative_to(top) for top in (*PRIVATE, *self.hidden)
            ):
                made.add(parent)
                args += ["--perms", "0711", "--dir", str(parent)]
        return args


def become(account: Account) -> tuple[str, ...]:
    """setpriv's argv prefix that turns root into `account` for the rest of the process tree."""
    return (
        "setpriv",
        f"--reuid={account.uid}",
        f"--regid={account.gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
    )


class AccountJail:
    """Runs commands as `account`; `switch` when we are root (else it is our own account, and
    only the namespaces keep the code away from our files)."""

    def __init__(
        self, account: Account, *, owner: str, switch: bool, namespaces: Namespaces | None
    ) -> None:
        self.account, self.owner = account, owner
        self._switch, self._namespaces = switch, namespaces

    def confine(self, command: Command, *, writable: Sequence[Path] = ()) -> Command:
        name, home = self.account.name, str(self.account.home)
        env = {**(command.env or {}), "HOME": home, "USER": name, "LOGNAME": name}
        argv: tuple[str, ...] = ()
        if self._namespaces is not None:
            argv += self._namespaces.argv(cwd=command.cwd, writable=(self.account.home, *writable))
        if self._switch:
            argv += become(self.account)
        return replace(command, argv=argv + command.argv, env=env)

    def lend(self, path: Path) -> None:
        if self._switch:
            for entry in _walk(path):
                os.chown(entry, self.account.uid, self.account.gid, follow_symlinks=False)

    def seal(self, path: Path) -> None:
        """Root's, readable by the app's group (its build and environment accounts) only."""
        if not self._switch:
            return
        for entry in _walk(path):
            os.chown(entry, 0, self.account.gid, follow_symlinks=False)
            info = entry.lstat()
            if stat.S_ISLNK(info.st_mode):
                continue
            executable = stat.S_ISDIR(info.st_mode) or info.st_mode & stat.S_IXUSR
            os.chmod(entry, 0o750 if executable else 0o640)


def _walk(top: Path) -> Iterator[Path]:
    yield top
    for base, dirs, files in os.walk(top):
        for name in (*dirs, *files):
            yield Path(base, name)
