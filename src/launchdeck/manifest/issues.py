"""Turn pydantic's ValidationError into Issues that name the path, the value and a fix."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from launchdeck.manifest.errors import MISSING, Issue
from launchdeck.manifest.introspect import (
    Slot,
    doc_of,
    field_type,
    locate,
    model_of,
    split,
    toml_fields,
    toml_key,
    toml_value,
)
from launchdeck.manifest.values.suggest import closest

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "model_type": "a table",
    "dict_type": "a table",
    "list_type": "a list",
}
# pydantic ctx key -> (message, fix); {limit} is the bound, {example} a sample line.
_LIMITS = {
    "gt": ("should be greater than {limit}", "use a value greater than {limit}{example}"),
    "ge": ("should be at least {limit}", "use {limit} or more"),
    "lt": ("should be less than {limit}", "use a value less than {limit}{example}"),
    "le": ("should be at most {limit}", "use {limit} or less"),
}
Loc = tuple[str | int, ...]
_KEY_SUFFIX = "[key]"  # pydantic's marker for an error in a dict key rather than its value


def issues_from(
    error: ValidationError, raw: Mapping[str, Any], root: type[BaseModel]
) -> list[Issue]:
    """One Issue per error, in the order the offending keys appear in the file."""
    order = {loc: index for index, loc in enumerate(_walk(raw, ()))}
    details = sorted(
        _without_echoes(error.errors(), root), key=lambda d: _position(order, d["loc"])
    )
    return [_issue(detail, raw, root) for detail in details]


def _without_echoes(details: list[ErrorDetails], root: type[BaseModel]) -> list[ErrorDetails]:
    # A misspelt required key ("comand") also makes the real one missing; the did-you-mean on
    # the misspelling already says what to do, so the "is required" echo is dropped.
    meant: set[tuple[object, ...]] = set()
    for detail in details:
        slot = locate(root, detail["loc"])
        if detail["type"] == "extra_forbidden" and slot and slot.parent:
            meant.add((*detail["loc"][:-1], closest(slot.key, toml_fields(slot.parent))))
    return [d for d in details if not (d["type"] == "missing" and d["loc"] in meant)]


def _walk(node: object, prefix: Loc) -> Iterator[Loc]:
    """Every loc in `node`, depth first, in the order the file wrote them."""
    if isinstance(node, Mapping):
        entries: Iterable[tuple[str | int, object]] = node.items()
    elif isinstance(node, list):
        entries = enumerate(node)
    else:
        return
    for key, value in entries:
        yield (*prefix, key)
        yield from _walk(value, (*prefix, key))


def _position(order: Mapping[Loc, int], loc: Loc) -> int:
    # A missing key has no position of its own; it sorts with the table it is missing from.
    for end in range(len(loc), 0, -1):
        if loc[:end] in order:
            return order[loc[:end]]
    return -1


def _issue(detail: ErrorDetails, raw: Mapping[str, Any], root: type[BaseModel]) -> Issue:
    loc = tuple(part for part in detail["loc"] if part != _KEY_SUFFIX)
    path = ".".join(_shown(part) for part in loc)
    slot = locate(root, loc)
    kind, ctx = detail["type"], detail.get("ctx", {})
    in_key = _KEY_SUFFIX in detail["loc"]
    value = detail["input"] if in_key else _lookup(raw, loc, detail["input"])
    if kind == "extra_forbidden":
        return Issue(path, loc[-1], "unknown key", _unknown_key_fix(str(loc[-1]), slot))
    if kind == "missing":
        return Issue(path, MISSING, "is required", _example_fix("add", slot))
    if kind == "list_type" and _table_array(slot):
        fix = f"write each entry as its own [[{path}]] table (double brackets)"
        return Issue(path, value, "should be an array of tables", fix)
    if kind in _EXPECTED:
        return Issue(path, value, f"should be {_EXPECTED[kind]}", _type_fix(kind, value, slot))
    bound = next((key for key in _LIMITS if key in ctx), None)
    if bound is not None:
        return _limit_issue(path, value, bound, ctx[bound], slot)
    if kind == "literal_error":
        return _choice_issue(path, value, slot)
    if "fix" in ctx:  # raised by fieldtypes with its own message and (maybe) fix
        shown = MISSING if ctx.get("hide_value") else value  # e.g. a whole refused table
        return Issue(path, shown, detail["msg"], ctx.get("fix") or _example_fix("use", slot))
    message = detail["msg"][:1].lower() + detail["msg"][1:]
    return Issue(path, value, message, "see docs/manifest.md")


def _shown(part: str | int) -> str:
    """A path part as written; a key with a newline or other control character is quoted, so
    the message stays on one line and shows what the file said."""
    text = str(part)
    return text if text.isprintable() else json.dumps(text, ensure_ascii=False)


def _lookup(raw: Any, loc: Sequence[str | int], default: object) -> object:
    # The raw value beats pydantic's input, which may already be converted ("-1s" -> -1.0).
    for part in loc:
        found = isinstance(raw, Mapping) and part in raw
        found = found or (isinstance(raw, list) and isinstance(part, int) and part < len(raw))
        if not found:
            return default
        raw = raw[part]
    return raw


def _unknown_key_fix(key: str, slot: Slot | None) -> str:
    allowed = sorted(toml_fields(slot.parent)) if slot and slot.parent else []
    match = closest(key, allowed)
    if match:
        return f"did you mean {match!r}?"
    return f"remove it; allowed keys are: {', '.join(allowed)}" if allowed else "remove it"


def _example_fix(verb: str, slot: Slot | None) -> str:
    line = slot.example_line() if slot else None
    return f"{verb} {line}" if line else "see docs/manifest.md"


def _table_array(slot: Slot | None) -> bool:
    """Whether `slot` is a list of tables, written `[[key]]` (as `[[alerts]]`)."""
    if slot is None or slot.field is None or slot.item:
        return False
    core = field_type(slot.field)[0]
    return get_origin(core) is list and model_of(split(get_args(core)[0])[0]) is not None


def _type_fix(kind: str, value: object, slot: Slot | None) -> str:
    if kind == "string_type" and isinstance(value, int | float | bool):
        quoted = json.dumps(toml_value(value))
        if slot is None or slot.item:
            return f"quote it: {quoted}"
        return f"quote it: {toml_key(slot.key)} = {quoted}"
    return _example_fix("use", slot)


def _limit_issue(path: str, value: object, bound: str, limit: object, slot: Slot | None) -> Issue:
    doc = doc_of(field_type(slot.field)[1]) if slot and slot.field else None
    if isinstance(limit, float) and limit.is_integer():
        limit = int(limit)  # pydantic reports float bounds as 0.0; the file said 0
    shown = doc.show(limit) if doc and doc.show and limit else str(limit)
    line = slot.example_line() if slot else None
    message, fix = _LIMITS[bound]
    example = f", e.g. {line}" if line else ""
    return Issue(path, value, message.format(limit=shown), fix.format(limit=shown, example=example))


def _choice_issue(path: str, value: object, slot: Slot | None) -> Issue:
    choices = (
        [str(choice) for choice in get_args(field_type(slot.field)[0])]
        if slot and slot.field
        else []
    )
    listing = ", ".join(repr(choice) for choice in choices)
    match = closest(str(value), choices)
    fix = f"did you mean {match!r}?" if match else f"use one of {listing}"
    return Issue(path, value, f"should be one of {listing}", fix)
