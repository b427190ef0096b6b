"""The one exception of the manifest package, and the Issue values it carries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        got = "" if self.value is MISSING else f" (got {self.value!r})"
        return f"{where}{self.message}{got}; fix: {self.fix}"


class ManifestError(Exception):
    """A manifest that cannot be used; `issues` lists every problem found, not just the first."""

    def __init__(self, issues: Iterable[Issue], *, source: str = "launchdeck.toml") -> None:
        self.issues = list(issues)
        self.source = source
        super().__init__("\n".join(f"{source}: {issue}" for issue in self.issues))
