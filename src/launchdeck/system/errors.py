"""The root of every error launchdeck raises on purpose: what went wrong, and what to do next.

`fix` is a field, never text parsed back out of the message: the API answers
`{"error": message, "fix": fix}`, the CLI prints both, and `str()` joins them for logs.
Each layer's tree hangs below this one (controlplane/errors.py draws the API's, and so on).
"""

from __future__ import annotations


class LaunchdeckError(Exception):
    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}; fix: {self.fix}" if self.fix else self.message
