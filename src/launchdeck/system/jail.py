"""How untrusted code is confined: a Jail turns a Command into the same command run as an app's
own account, and lends it directories to write and takes them back.

The local driver makes the real ones (an account per app environment, namespaces where the host
has them); `OPEN` runs commands as they are, for code that is ours and for tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from launchdeck.system.commands import Command


class Jail(Protocol):
    owner: str  # whose builds the jail makes and may read ("" for OPEN: anyone's)

    def confine(self, command: Command, *, writable: Sequence[Path] = ()) -> Command:
        """`command` as the account runs it, able to write only its home, a private /tmp and
        `writable` (directories lent to it first)."""
        ...

    def lend(self, path: Path) -> None:
        """Let the account write the tree at `path` (a build it is making)."""
        ...

    def seal(self, path: Path) -> None:
        """Take the tree at `path` back: the app's accounts may read it, none may change it."""
        ...


class OpenJail:
    """No confinement: commands run as the caller, with the environment they are given."""

    owner = ""

    def confine(self, command: Command, *, writable: Sequence[Path] = ()) -> Command:
        return command

    def lend(self, path: Path) -> None:
        pass

    def seal(self, path: Path) -> None:
        pass


OPEN = OpenJail()
