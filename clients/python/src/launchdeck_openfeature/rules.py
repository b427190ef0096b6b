"""Targeting rules, `ATTRIBUTE OP VALUE`: parsed once (when a user types one, when a flag set
arrives), matched on each evaluation. A flag's rules are ANDed; one rule is one condition.

The control plane validates what users type with `parse_rule`, which raises `RuleError`. Pure:
no I/O, imports only `errors` and `versions` of this package.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import NoReturn, assert_never

from .errors import RuleError
from .versions import Value, compare

MAX_RULE_LENGTH = 500
TARGETING_KEY_NAMES = frozenset({"targetingKey", "targeting_key"})


class Op(Enum):
    EQ = "=="
    NE = "!="
    GE = ">="
    LE = "<="
    GT = ">"
    LT = "<"
    IN = "in"
    NOT_IN = "not in"


@dataclass(frozen=True)
class Latest:
    """The keyword `latest`: the newest app version clients reported, as the flag set says."""

    def __str__(self) -> str:
        return "latest"


LATEST = Latest()
Operand = Value | Latest


@dataclass(frozen=True)
class Rule:
    """`attribute op operand`; `operands` holds one value, or the list after `in`/`not in`."""

    text: str
    attribute: str
    op: Op
    operands: tuple[Operand, ...]

    def __str__(self) -> str:
        return self.text

    @property
    def uses_latest(self) -> bool:
        return any(isinstance(operand, Latest) for operand in self.operands)

    def matches(self, actual: object, latest: Value | None) -> bool:
        """Whether the attribute's value `actual` satisfies the rule. A missing attribute (None),
        or `latest` while no app version is known, never matches, whatever the operator."""
        value = Value.of(actual)
        if value is None:
            return False
        sides: list[Value] = []
        for operand in self.operands:
            match operand:
                case Latest():
                    if latest is None:
                        return False
                    sides.append(latest)
                case Value():
                    sides.append(operand)
        return _holds(self.op, value, sides)


def _holds(op: Op, value: Value, sides: list[Value]) -> bool:
    match op:
        case Op.IN:
            return any(compare(value, side) == 0 for side in sides)
        case Op.NOT_IN:
            return all(compare(value, side) != 0 for side in sides)
        case Op.EQ:
            return compare(value, sides[0]) == 0
        case Op.NE:
            return compare(value, sides[0]) != 0
        case Op.GE:
            return compare(value, sides[0]) >= 0
        case Op.LE:
            return compare(value, sides[0]) <= 0
        case Op.GT:
            return compare(value, sides[0]) > 0
        case Op.LT:
            return compare(value, sides[0]) < 0
        case _:
            assert_never(op)


def parse_rule(text: str) -> Rule:
    """The rule `text` says, or a `RuleError` naming the column and what was expected there."""
    return _Parser(text).rule()


_ATTRIBUTE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_BARE = re.compile(r"[A-Za-z0-9_.+\-@:/]+")  # numbers, versions, words, emails, paths
_WORD_OPS = re.compile(r"(not +in|in)(?=[ \[]|$)")
_SYMBOLS = ("==", "!=", ">=", "<=", ">", "<")  # the two-character ones first
_MISTAKES = {"=>": ">=", "=<": "<=", "<>": "!="}
_OPERATORS = "==, !=, >=, <=, >, <, in, not in"
_TOKEN = re.compile(r"[^ ]{1,20}")
_JOINERS = {
    "and": "a rule is one condition: give each its own rule (a flag's rules must all match)",
    "&&": "a rule is one condition: give each its own rule (a flag's rules must all match)",
    "or": "a rule is one condition: for one of several values, use 'in [a, b]'",
    "||": "a rule is one condition: for one of several values, use 'in [a, b]'",
}


class _Parser:
    """A scanner over one rule's text; `pos` is the column it has read up to."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def rule(self) -> Rule:
        self._check_characters()
        self._space()
        attribute = self._attribute()
        self._space()
        op = self._operator(attribute)
        self._space()
        if op in (Op.IN, Op.NOT_IN):
            operands, last = self._list(op.value)
        else:
            operand, last = self._value(op.value, single=True)
            operands = (operand,)
        self._space()
        if self.pos < len(self.text):
            got = self._got()
            self._fail(
                f"expected the end of the rule after {last!r}, got {got!r}",
                hint=_JOINERS.get(got.lower()),
            )
        return Rule(self.text, attribute, op, operands)

    def _check_characters(self) -> None:
        if len(self.text) > MAX_RULE_LENGTH:
            self.pos = MAX_RULE_LENGTH
            self._fail(f"expected at most {MAX_RULE_LENGTH} characters, got {len(self.text)}")
        for column, ch in enumerate(self.text):
            if not ch.isprintable():
                self.pos = column
                name = unicodedata.name(ch, "a control character")
                self._fail(f"expected printable characters, got {name} (U+{ord(ch):04X})")

    def _attribute(self) -> str:
        match = _ATTRIBUTE.match(self.text, self.pos)
        if match is None:
            if self._at_end():
                self._fail("expected an attribute name", hint="a rule reads 'app_version >= 1.4'")
            self._fail(f"expected an attribute name (a letter or '_' first), got {self._got()!r}")
        self.pos = match.end()
        return match.group()

    def _operator(self, attribute: str) -> Op:
        rest = self.text[self.pos :]
        expected = f"expected an operator ({_OPERATORS}) after {attribute!r}"
        for mistake, meant in _MISTAKES.items():
            if rest.startswith(mistake):
                self._fail(f"{expected}, got {mistake!r}", hint=f"did you mean {meant!r}?")
        for symbol in _SYMBOLS:
            if rest.startswith(symbol):
                self.pos += len(symbol)
                return Op(symbol)
        if rest.startswith("="):
            self._fail(f"{expected}, got '='", hint="did you mean '=='?")
        match = _WORD_OPS.match(self.text, self.pos)
        if match is not None:
            self.pos = match.end()
            return Op.IN if match.group() == "in" else Op.NOT_IN
        self._fail(expected if self._at_end() else f"{expected}, got {self._got()!r}")

    def _value(self, after: str, *, single: bool) -> tuple[Operand, str]:
        """One value and how it was written (for the next message)."""
        expected = f"expected a value after {after!r}"
        if self._at_end():
            self._fail(expected)
        start, quote = self.pos, self.text[self.pos]
        if quote in "'\"":
            close = self.text.find(quote, start + 1)
            if close < 0:
                self._fail(f"unterminated string: expected a closing {quote} for the string opened")
            self.pos = close + 1
            return Value.parse(self.text[start + 1 : close]), self.text[start : close + 1]
        if quote == "[" and single:
            self._fail(
                f"expected one value after {after!r}, got a list",
                hint="lists go after 'in' and 'not in'",
            )
        match = _BARE.match(self.text, self.pos)
        if match is None:
            self._fail(f"{expected}, got {self._got()!r}")
        self.pos = match.end()
        word = match.group()
        return (LATEST if word == "latest" else Value.parse(word)), word

    def _list(self, after: str) -> tuple[tuple[Operand, ...], str]:
        if self._at_end() or self.text[self.pos] != "[":
            expected = f"expected a list like [a, b] after {after!r}"
            self._fail(expected if self._at_end() else f"{expected}, got {self._got()!r}")
        self.pos += 1
        values: list[Operand] = []
        last = "["
        while True:
            self._space()
            value, last = self._value(last, single=False)
            values.append(value)
            self._space()
            if self._at_end():
                self._fail(f"expected ',' or ']' after {last!r}")
            separator = self.text[self.pos]
            if separator not in ",]":
                self._fail(f"expected ',' or ']' after {last!r}, got {self._got()!r}")
            self.pos += 1
            if separator == "]":
                return tuple(values), "]"
            last = ","

    def _space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def _at_end(self) -> bool:
        return self.pos >= len(self.text)

    def _got(self) -> str:
        match = _TOKEN.match(self.text, self.pos)
        return match.group() if match else ""

    def _fail(self, message: str, hint: str | None = None) -> NoReturn:
        raise RuleError(self.text, self.pos, message, hint)
