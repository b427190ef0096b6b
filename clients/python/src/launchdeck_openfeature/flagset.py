"""An environment's flags as the control plane serves them (the wire format), read into frozen
data once when a set arrives. Pure: no I/O; imports `errors` and `rules` of this package.

    {"version": 7, "app": "shop", "env": "production", "latest_app_version": "1.4.2",
     "flags": {"new-checkout": {"enabled": true, "rollout": 10,
                                "rules": ["app_version >= latest"], "allow": ["user:42"]}}}

Keys this client does not know are ignored, so the server can add some.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .errors import FlagSetError, RuleError
from .rules import Rule, parse_rule

USER = "user"  # `user:42` in an allow list names a targeting key


@dataclass(frozen=True)
class AllowEntry:
    """`attribute:value`: on for a context whose attribute reads `value` (`user` is the key)."""

    attribute: str
    value: str

    @classmethod
    def parse(cls, text: str) -> AllowEntry | None:
        attribute, colon, value = text.partition(":")
        if not colon or not attribute or not value:
            return None
        return cls(attribute, value)

    def __str__(self) -> str:
        return f"{self.attribute}:{self.value}"


@dataclass(frozen=True)
class Flag:
    """A boolean flag: off unless enabled; on for the allow list; else on for `rollout` percent
    of the targeting keys whose context matches every rule."""

    enabled: bool
    rollout: int = 100
    rules: tuple[Rule, ...] = ()
    allow: tuple[AllowEntry, ...] = ()

    @classmethod
    def from_json(cls, data: object, path: str) -> Flag:
        obj = _object(data, path)
        enabled = _required(obj, "enabled", f"{path}.enabled")
        if not isinstance(enabled, bool):
            raise FlagSetError(
                f"{path}.enabled", f"should be true or false (got {_shown(enabled)})"
            )
        rollout = obj.get("rollout", 100)
        if isinstance(rollout, bool) or not isinstance(rollout, int) or not 0 <= rollout <= 100:
            raise FlagSetError(
                f"{path}.rollout", f"should be an integer from 0 to 100 (got {_shown(rollout)})"
            )
        return cls(enabled, rollout, _rules(obj, path), _allow(obj, path))

    def to_json(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "rollout": self.rollout,
            "rules": [rule.text for rule in self.rules],
            "allow": [str(entry) for entry in self.allow],
        }


def _rules(obj: Mapping[str, object], path: str) -> tuple[Rule, ...]:
    rules = []
    for index, text in enumerate(_strings(obj, "rules", path)):
        try:
            rules.append(parse_rule(text))
        except RuleError as err:
            raise FlagSetError(f"{path}.rules[{index}]", err.summary) from None
    return tuple(rules)


def _allow(obj: Mapping[str, object], path: str) -> tuple[AllowEntry, ...]:
    entries = []
    for index, text in enumerate(_strings(obj, "allow", path)):
        entry = AllowEntry.parse(text)
        if entry is None:
            raise FlagSetError(
                f"{path}.allow[{index}]",
                f"should read 'user:ID' or 'ATTRIBUTE:VALUE' (got {_shown(text)})",
            )
        entries.append(entry)
    return tuple(entries)


@dataclass(frozen=True)
class FlagSet:
    """One version of an environment's flags, and the newest app version its clients reported."""

    version: int
    app: str
    env: str
    latest_app_version: str | None = None
    flags: Mapping[str, Flag] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def empty(cls) -> FlagSet:
        """What a provider evaluates before any set arrived: every flag is unknown."""
        return cls(version=0, app="", env="")

    @classmethod
    def from_json(cls, data: object) -> FlagSet:
        """The set `data` (a parsed JSON body) describes, or a FlagSetError naming the field."""
        obj = _object(data, "flag set")
        version = _required(obj, "version", "version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise FlagSetError(
                "version", f"should be a non-negative integer (got {_shown(version)})"
            )
        app, env = _string(obj, "app"), _string(obj, "env")
        latest = obj.get("latest_app_version")
        if latest is not None and not isinstance(latest, str):
            raise FlagSetError(
                "latest_app_version", f"should be a string or null (got {_shown(latest)})"
            )
        flags = _required(obj, "flags", "flags")
        if not isinstance(flags, dict):
            raise FlagSetError(
                "flags", f"should be an object of flags by name (got {_shown(flags)})"
            )
        parsed = {name: Flag.from_json(raw, f"flags.{name}") for name, raw in flags.items()}
        return cls(version, app, env, latest, MappingProxyType(parsed))

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "app": self.app,
            "env": self.env,
            "latest_app_version": self.latest_app_version,
            "flags": {name: flag.to_json() for name, flag in self.flags.items()},
        }


def changed_flags(old: FlagSet, new: FlagSet) -> list[str]:
    """The names of the flags whose answers may differ between two sets, sorted."""
    names = set(old.flags) | set(new.flags)
    changed = {name for name in names if old.flags.get(name) != new.flags.get(name)}
    if old.latest_app_version != new.latest_app_version:
        changed |= {n for n, f in new.flags.items() if any(r.uses_latest for r in f.rules)}
    return sorted(changed)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _object(data: object, path: str) -> Mapping[str, object]:
    if not isinstance(data, dict):
        raise FlagSetError(path, f"should be a JSON object (got {type(data).__name__})")
    return data


def _required(obj: Mapping[str, object], key: str, path: str) -> object:
    if key not in obj:
        raise FlagSetError(path, "missing")
    return obj[key]


def _string(obj: Mapping[str, object], key: str) -> str:
    value = _required(obj, key, key)
    if not isinstance(value, str):
        raise FlagSetError(key, f"should be a string (got {_shown(value)})")
    return value


def _strings(obj: Mapping[str, object], key: str, path: str) -> list[str]:
    values = obj.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise FlagSetError(f"{path}.{key}", f"should be a list of strings (got {_shown(values)})")
    return values
