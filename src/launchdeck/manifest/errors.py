"""The one exception of the manifest package, and the Issue values it carries.

LaunchdeckError (system/errors.py)
└── ManifestError   every Issue found, one line each, each with its own fix
(units.BadValue, a LaunchdeckError too, is a value the grammar refused: it becomes an Issue)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from launchdeck.system.errors import LaunchdeckError


class _Missing:
    """Marks an Issue about a value that is absent, so there is nothing to show as "got"."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


@dataclass(frozen=True)
class Issue:
    """One problem in a manifest: where it is, what was there, what is wrong, what to do."""

    path: str  # dotted, e.g. "services.web.health.path"; "" when it is about the whole file
    value: object
    message: str
    fix: str

    def problem(self) -> str:
        """Where and what, without the fix."""
        where = f"{self.path}: " if self.path else ""
        got = "" if self.value is MISSING else f" (got {self.value!r})"
        return f"{where}{self.message}{got}"

    def __str__(self) -> str:
        return f"{self.problem()}; fix: {self.fix}"


class ManifestError(LaunchdeckError):
    """A manifest that cannot be used; `issues` lists every problem found, not just the first.

    With one issue, `fix` is its fix; with several, each has its own, so `message` lists them
    one a line with theirs and `fix` is empty. Either way `str()` is one line per issue."""

    def __init__(self, issues: Iterable[Issue], *, source: str = "launchdeck.toml") -> None:
        self.issues = list(issues)
        self.source = source
        if len(self.issues) == 1 and self.issues[0].fix:
            super().__init__(f"{source}: {self.issues[0].problem()}", self.issues[0].fix)
        else:
            super().__init__("\n".join(f"{source}: {issue}" for issue in self.issues))
