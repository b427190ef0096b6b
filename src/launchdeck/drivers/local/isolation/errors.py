"""Why app code cannot be confined here; each names the account or tool and the fix.

IsolationError
└── AccountUnavailable   running as root, the app's account could not be made (no useradd, ...)
"""

from __future__ import annotations


class IsolationError(Exception):
    def __init__(self, message: str, fix: str) -> None:
        self.message, self.fix = message, fix
        super().__init__(f"{message}; fix: {fix}")


class AccountUnavailable(IsolationError):
    def __init__(self, account: str, why: str) -> None:
        super().__init__(
            f"refusing to run app code as root: the account {account} could not be made ({why})",
            "install the passwd package (useradd, groupadd), or run the control plane as an "
            "unprivileged user",
        )
