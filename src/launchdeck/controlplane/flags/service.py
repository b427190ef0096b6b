"""The flag use cases behind `launchdeck flags`: create, change, switch off, delete, promote, and
the set apps read. Every input is checked before anything is written: a rule that does not parse,
a rollout outside 0-100% or an unknown flag changes nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from launchdeck_openfeature.errors import RuleError
from launchdeck_openfeature.flagset import AllowEntry
from launchdeck_openfeature.rules import parse_rule
from launchdeck_openfeature.versions import Version

from launchdeck.controlplane.errors import Conflict, Invalid, NotFound
from launchdeck.controlplane.flags.store import FlagStore
from launchdeck.domain.flags import FLAG_NAME_RE, FLAG_NAME_RULE, FlagDefinition

MAX_FLAGS = 500  # per environment
MAX_RULES = 20
MAX_ALLOW = 1000
_ROLLOUT = re.compile(r"^\s*(\d{1,3})\s*%?\s*$")
RULE_FIX = "write each rule as `attribute op value`, e.g. --rule 'app_version >= latest'"


@dataclass(frozen=True)
class FlagChange:
    """What `flags set` (and on/off) asks; None leaves a field as it is."""

    enabled: bool | None = None
    rollout: int | str | None = None
    rules: Sequence[str] | None = None  # replaces the rules ([] clears them)
    allow: Sequence[str] = ()  # entries to add
    disallow: Sequence[str] = ()  # entries to remove
    description: str | None = None


def parse_rollout(value: int | str) -> int:
    """`10%`, `10` or 10 -> 10; anything else, or outside 0-100, is refused naming the value."""
    match = _ROLLOUT.match(str(value)) if not isinstance(value, bool) else None
    if match is None or int(match.group(1)) > 100:
        raise Invalid(
            f"rollout: should be a whole percentage from 0% to 100% (got {str(value)!r})",
            "e.g. --rollout 10%",
        )
    return int(match.group(1))


def check_rules(rules: Sequence[str]) -> tuple[str, ...]:
    if len(rules) > MAX_RULES:
        raise Invalid(f"rules: at most {MAX_RULES} per flag (got {len(rules)})", RULE_FIX)
    for index, rule in enumerate(rules):
        try:
            parse_rule(rule)
        except RuleError as exc:
            raise Invalid(f"rules[{index}]: {exc}", RULE_FIX) from None
    return tuple(r.strip() for r in rules)


def check_allow(entries: Sequence[str]) -> tuple[str, ...]:
    for entry in entries:
        if AllowEntry.parse(entry) is None or len(entry) > 200:
            raise Invalid(
                f"allow: should be `attribute:value` (got {entry!r})",
                "e.g. --allow user:42 (a targeting key) or --allow plan:pro (an attribute)",
            )
    return tuple(entries)


class Flags:
    def __init__(self, store: FlagStore, *, clock: Any = time.time) -> None:
        self.store = store
        self._now = clock

    def all(self, app: str, env: str) -> list[FlagDefinition]:
        return self.store.flags(app, env)

    def get(self, app: str, env: str, name: str) -> FlagDefinition:
        flag = self.store.flag(app, env, name)
        if flag is None:
            known = ", ".join(f.name for f in self.store.flags(app, env)) or "none yet"
            raise NotFound(
                f"flag {name!r} not found in {app}/{env} (it has: {known})",
                f"create it: launchdeck flags create {name} --app {app} --env {env}",
            )
        return flag

    def create(self, app: str, env: str, name: str, description: str, who: str) -> FlagDefinition:
        if not FLAG_NAME_RE.fullmatch(name):
            raise Invalid(
                f"flag name: should be {FLAG_NAME_RULE} (got {name!r})", "e.g. new-checkout"
            )
        if self.store.flag(app, env, name) is not None:
            raise Conflict(
                f"flag {name!r} already exists in {app}/{env}",
                f"change it: launchdeck flags set {name} --app {app} --env {env} ...",
            )
        if len(self.store.flags(app, env)) >= MAX_FLAGS:
            raise Conflict(f"{app}/{env} has {MAX_FLAGS} flags, the most it may have", "delete one")
        flag = FlagDefinition(
            name, description=description[:500], updated_at=self._now(), updated_by=who
        )
        self.store.put(app, env, flag)
        return flag

    def change(self, app: str, env: str, name: str, change: FlagChange, who: str) -> FlagDefinition:
        flag = self.get(app, env, name)
        updated = replace(flag, updated_at=self._now(), updated_by=who)
        if change.enabled is not None:
            updated = replace(updated, enabled=change.enabled)
        if change.rollout is not None:
            updated = replace(updated, rollout=parse_rollout(change.rollout))
        if change.rules is not None:
            updated = replace(updated, rules=check_rules(change.rules))
        if change.allow or change.disallow:
            added = check_allow(change.allow)
            kept = [e for e in updated.allow if e not in set(change.disallow)]
            allow = tuple(dict.fromkeys([*kept, *added]))
            if len(allow) > MAX_ALLOW:
                raise Invalid(
                    f"allow: at most {MAX_ALLOW} entries (got {len(allow)})", "use a rule"
                )
            updated = replace(updated, allow=allow)
        if change.description is not None:
            updated = replace(updated, description=change.description[:500])
        self.store.put(app, env, updated)
        return updated

    def delete(self, app: str, env: str, name: str) -> None:
        self.get(app, env, name)
        self.store.delete(app, env, name)

    def promote(
        self, app: str, source: str, target: str, names: Sequence[str], who: str
    ) -> list[FlagDefinition]:
        """Copy flags (all of them, or `names`) from `source` to `target` as they are there."""
        wanted = [self.get(app, source, n) for n in names] if names else self.all(app, source)
        now = self._now()
        copied = [replace(f, updated_at=now, updated_by=who) for f in wanted]
        if copied:
            self.store.put(app, target, *copied)
        return copied

    # -- what apps read --------------------------------------------------------------------

    def flag_set(self, app: str, env: str) -> dict[str, Any]:
        feed = self.store.feed(app, env)
        return {
            "version": feed.version,
            "app": app,
            "env": env,
            "latest_app_version": feed.latest_app_version,
            "flags": {f.name: f.wire() for f in self.store.flags(app, env)},
        }

    def report_app_version(self, app: str, env: str, raw: object) -> bool:
        """Keep `raw` as the newest app version when it is one and newer; True if it was."""
        version = Version.parse(raw) if isinstance(raw, str) else None
        if version is None or len(str(raw)) > 64:
            raise Invalid(
                f"app_version: should be a version like 1.4.2 (got {str(raw)[:64]!r})",
                "report the version your app's clients send in the evaluation context",
            )
        current = self.store.feed(app, env).latest_app_version
        known = Version.parse(current) if current else None
        if known is not None and version.key <= known.key:
            return False
        self.store.report_app_version(app, env, str(raw))
        return True
