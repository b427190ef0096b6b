"""Why app code cannot be confined here; each names the account or tool and the fix.

LaunchdeckError (system/errors.py)
└── IsolationError
    └── AccountUnavailable   running as root, the app's account could not be made (no useradd, ...)
"""

from __future__ import annotations

from launchdeck.system.errors import LaunchdeckError


class IsolationError(LaunchdeckError):
    def __init__(self, message: str, fix: str) -> None:  # a fix is always given
        super().__init__(message, fix)


class AccountUnavailable(IsolationError):
    def __init__(self, account: str, why: str) -> None:
        super().__init__(
            f"refusing to run app code as root: the account {account} could not be made ({why})",
            "install the passwd package (useradd, groupadd), or run the control plane as an "
            "unprivileged user",
        )
