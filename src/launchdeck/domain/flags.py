"""Feature flags: what `launchdeck flags` stores per app environment.

A flag is boolean. Off unless `enabled` (the kill switch); on for the contexts its `allow` list
names (`user:42` is a targeting key, `plan:pro` an attribute); else on for `rollout` percent of
the targeting keys whose context matches every rule. Apps evaluate flags themselves, with the
OpenFeature provider in `clients/python` (`launchdeck_openfeature`), from the set the control
plane serves; the bucketing is Unleash's, so users keep their buckets when a team moves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FLAG_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}\Z")
FLAG_NAME_RULE = (
    "1-100 lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"
)


@dataclass(frozen=True)
class FlagDefinition:
    name: str
    enabled: bool = False  # a new flag ships dark
    rollout: int = 100  # percent of targeting keys, 0-100, once enabled and the rules match
    rules: tuple[str, ...] = ()  # each `attribute op value`; all must match
    allow: tuple[str, ...] = ()  # `attribute:value` entries that are always on
    description: str = ""
    updated_at: float = 0.0
    updated_by: str = ""

    def wire(self) -> dict[str, object]:
        """As the flag set carries it to apps (the provider's wire format)."""
        return {
            "enabled": self.enabled,
            "rollout": self.rollout,
            "rules": list(self.rules),
            "allow": list(self.allow),
        }

    def summary(self) -> str:
        """`on: 10% where app_version >= latest, +2 allowed`, as `flags list` shows it."""
        if not self.enabled:
            return "off"
        text = f"on: {self.rollout}%"
        if self.rules:
            text += " where " + " and ".join(self.rules)
        if self.allow:
            text += f", +{len(self.allow)} allowed"
        return text
