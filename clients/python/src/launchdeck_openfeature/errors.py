"""The package's errors, in one place. Pure: imports nothing of the package or of I/O.

LaunchdeckFlagsError
 ├── RuleError      a rule a user typed does not parse (ValueError: validators accept it)
 ├── FlagSetError   a flag set that does not follow the wire format (ValueError too)
 └── ServerError    the flag server could not be read; `kind` groups failures for logging
"""

from __future__ import annotations

MAX_SHOWN = 60  # a longer rule is cut in the one-line summary
MAX_ECHOED = 500  # a longer one (rejected for its length) is not echoed under it


class LaunchdeckFlagsError(Exception):
    """The base of every error this package raises."""


class RuleError(LaunchdeckFlagsError, ValueError):
    """`rule` did not parse: `message` says what was expected at `position` (0-based column).

    str() is a one-line summary, then the rule and a caret under the column:

        rule 'app_version >=': expected a value after '>=' at column 15
          app_version >=
                        ^
    """

    def __init__(self, rule: str, position: int, message: str, hint: str | None = None) -> None:
        super().__init__(rule, position, message, hint)
        self.rule = rule
        self.position = position
        self.message = message
        self.hint = hint

    @property
    def summary(self) -> str:
        shown = self.rule if len(self.rule) <= MAX_SHOWN else self.rule[:MAX_SHOWN] + "..."
        hint = f"; {self.hint}" if self.hint else ""
        return f"rule {shown!r}: {self.message} at column {self.position + 1}{hint}"

    def __str__(self) -> str:
        if len(self.rule) > MAX_ECHOED:
            return self.summary
        echo = "".join("?" if not ch.isprintable() else ch for ch in self.rule)
        return f"{self.summary}\n  {echo}\n  {' ' * self.position}^"


class FlagSetError(LaunchdeckFlagsError, ValueError):
    """A flag set not in the wire format; `path` names the field, as in `flags.x.rollout`."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ServerError(LaunchdeckFlagsError):
    """The flag server could not be read or written. `kind` (`unreachable`, `unauthorized`,
    `http 503`, `bad body`, ...) is what a caller logs once per change; `message` says the fix."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(kind, message)
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return self.message
