"""The build package's exceptions, in one place.

BuildError        the build failed; the message says what to do, .log_tail shows why
└── UnknownBuild  (also a KeyError) no build with that digest in the store
"""

from __future__ import annotations


class BuildError(Exception):
    def __init__(self, message: str, *, log_tail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.log_tail = log_tail

    def __str__(self) -> str:
        # KeyError (a base of UnknownBuild) would otherwise quote the message.
        return self.message


class UnknownBuild(BuildError, KeyError):
    def __init__(self, digest: str, root: object) -> None:
        super().__init__(
            f"{digest}: no such build in {root} (it may have been pruned): build the source again"
        )
        self.digest = digest


def tail(output: str, lines: int = 20) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])
