"""launchdeck's feature flags for OpenFeature: `LaunchdeckProvider`, and the pure pieces the
control plane shares with it: `parse_rule` (validates a rule, raises `RuleError`), `FlagSet`
(the wire format), `evaluate` (one flag's answer) and `bucket` (Unleash-compatible).

Importing the package or its pure modules (errors, versions, rules, flagset, evaluate) imports
neither httpx nor OpenFeature: `LaunchdeckProvider` loads them when first named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import FlagSetError, LaunchdeckFlagsError, RuleError, ServerError
from .evaluate import Context, ContextLike, Resolution, bucket, evaluate, evaluate_in
from .flagset import AllowEntry, Flag, FlagSet
from .rules import MAX_RULE_LENGTH, Rule, parse_rule

if TYPE_CHECKING:
    from .provider import LaunchdeckProvider

__all__ = [
    "MAX_RULE_LENGTH",
    "AllowEntry",
    "Context",
    "ContextLike",
    "Flag",
    "FlagSet",
    "FlagSetError",
    "LaunchdeckFlagsError",
    "LaunchdeckProvider",
    "Resolution",
    "Rule",
    "RuleError",
    "ServerError",
    "bucket",
    "evaluate",
    "evaluate_in",
    "parse_rule",
]


def __getattr__(name: str) -> object:
    if name == "LaunchdeckProvider":
        from .provider import LaunchdeckProvider

        return LaunchdeckProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
