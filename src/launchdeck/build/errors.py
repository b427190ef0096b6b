"""The build package's exceptions, in one place.

LaunchdeckError (system/errors.py)
└── BuildError        the build failed; the message says what to do, .log_tail shows why
    └── UnknownBuild  (also a KeyError) no build with that digest in the store
"""

from __future__ import annotations

from launchdeck.system.errors import LaunchdeckError


class BuildError(LaunchdeckError):
    def __init__(self, message: str, fix: str = "", *, log_tail: str = "") -> None:
        super().__init__(message, fix)
        self.log_tail = log_tail


class UnknownBuild(BuildError, KeyError):
    # LaunchdeckError.__str__ comes before KeyError's in the MRO: the message is not quoted.
    def __init__(self, digest: str, root: object) -> None:
        super().__init__(
            f"{digest}: no such build in {root} (it may have been pruned): build the source again"
        )
        self.digest = digest


def tail(output: str, lines: int = 20) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])
