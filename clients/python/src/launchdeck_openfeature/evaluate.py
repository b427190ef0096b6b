"""One flag's answer for one evaluation context. Pure: no I/O, and nothing of OpenFeature, so the
control plane can import it (to preview a flag) without the SDK; reasons and error codes are
OpenFeature's values as plain strings, which the provider maps to the SDK's enums.

The order: unknown flag -> FLAG_NOT_FOUND; disabled -> off (DISABLED); an allow entry matches ->
on (TARGETING_MATCH); a rule does not match -> off (DEFAULT); then the rollout: 100 -> on
(TARGETING_MATCH with rules, else STATIC), 0 -> off (DEFAULT), else on iff the key's bucket is
within it (SPLIT), which needs a targeting key (TARGETING_KEY_MISSING).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

import mmh3

from .flagset import USER, AllowEntry, Flag, FlagSet
from .rules import TARGETING_KEY_NAMES
from .versions import Value, text_of

__all__ = ["Context", "ContextLike", "Flag", "FlagSet", "Resolution", "bucket", "evaluate"]

ON: Final = "on"
OFF: Final = "off"
# OpenFeature's Reason and ErrorCode values
STATIC: Final = "STATIC"
DEFAULT: Final = "DEFAULT"
DISABLED: Final = "DISABLED"
SPLIT: Final = "SPLIT"
TARGETING_MATCH: Final = "TARGETING_MATCH"
ERROR: Final = "ERROR"
FLAG_NOT_FOUND: Final = "FLAG_NOT_FOUND"
TARGETING_KEY_MISSING: Final = "TARGETING_KEY_MISSING"


class ContextLike(Protocol):
    """What evaluation reads of a context; OpenFeature's `EvaluationContext` is one."""

    @property
    def targeting_key(self) -> str | None: ...

    @property
    def attributes(self) -> Mapping[str, object]: ...


@dataclass(frozen=True)
class Context:
    """A context built by hand (the control plane's preview, tests)."""

    targeting_key: str | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Resolution:
    """A flag's answer: `value` and `variant` are None when `error_code` is set (the caller's
    default applies)."""

    value: bool | None
    variant: str | None
    reason: str
    error_code: str | None = None
    error_message: str | None = None


def bucket(flag: str, key: str) -> int:
    """The key's bucket for this flag, 1..100: Unleash's `normalized_hash(identifier=key,
    activation_group=flag)`, so users keep their buckets across the move, and a user in at 10%
    stays in at 20%."""
    return mmh3.hash(f"{flag}:{key}", seed=0, signed=False) % 100 + 1


def evaluate(
    name: str, flag: Flag | None, context: ContextLike, latest_app_version: str | None
) -> Resolution:
    """The answer of flag `name` (None: not in the set) for `context`."""
    if flag is None:
        return _error(FLAG_NOT_FOUND, f"no flag named {name!r} in this environment's flag set")
    if not flag.enabled:
        return _off(DISABLED)
    if any(_allows(entry, context) for entry in flag.allow):
        return _on(TARGETING_MATCH)
    if flag.rules:
        latest = None if latest_app_version is None else Value.parse(latest_app_version)
        if not all(
            rule.matches(_attribute(context, rule.attribute), latest) for rule in flag.rules
        ):
            return _off(DEFAULT)
    if flag.rollout >= 100:
        return _on(TARGETING_MATCH if flag.rules else STATIC)
    if flag.rollout <= 0:
        return _off(DEFAULT)
    key = context.targeting_key
    if not key:
        return _error(
            TARGETING_KEY_MISSING,
            f"flag {name!r} is on for {flag.rollout}% of targeting keys: "
            "pass one (a user id) as the evaluation context's targeting key",
        )
    return _on(SPLIT) if bucket(name, key) <= flag.rollout else _off(SPLIT)


def evaluate_in(flags: FlagSet, name: str, context: ContextLike) -> Resolution:
    """`evaluate` against a whole set: the flag by name and the set's latest app version."""
    return evaluate(name, flags.flags.get(name), context, flags.latest_app_version)


def _attribute(context: ContextLike, name: str) -> object:
    if name in TARGETING_KEY_NAMES:
        return context.targeting_key or None
    return context.attributes.get(name)


def _allows(entry: AllowEntry, context: ContextLike) -> bool:
    if entry.attribute == USER:
        return context.targeting_key == entry.value
    return text_of(_attribute(context, entry.attribute)) == entry.value


def _on(reason: str) -> Resolution:
    return Resolution(True, ON, reason)


def _off(reason: str) -> Resolution:
    return Resolution(False, OFF, reason)


def _error(code: str, message: str) -> Resolution:
    return Resolution(None, None, ERROR, code, message)
