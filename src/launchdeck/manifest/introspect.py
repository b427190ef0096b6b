"""Reading the schema models as data: field types, where a loc points, examples as TOML.

Both the error translation and the docs generator need this, so neither hard-codes a field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from launchdeck.manifest.values.fieldtypes import Doc

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def split(annotation: Any) -> tuple[Any, list[object]]:
    """`annotation` without its Optional and Annotated layers, plus the metadata they held."""
    metadata: list[object] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            metadata.extend(annotation.__metadata__)
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType) and NoneType in get_args(annotation):
            annotation = next(arg for arg in get_args(annotation) if arg is not NoneType)
        else:
            return annotation, metadata


def field_type(field: FieldInfo) -> tuple[Any, list[object]]:
    """The core type of a field and all its metadata (pydantic lifts the outer Annotated)."""
    core, metadata = split(field.annotation)
    return core, [*field.metadata, *metadata]


def doc_of(metadata: Sequence[object]) -> Doc | None:
    # The innermost marker wins: Memory wraps Size, which carries the Doc.
    return next((item for item in reversed(metadata) if isinstance(item, Doc)), None)


def toml_fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the key the file writes (`for`, not the attribute `for_`)."""
    return {field.alias or name: field for name, field in model.model_fields.items()}


def model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


@dataclass(frozen=True)
class Slot:
    """What a validation loc points at: a model's field, or an entry of a dict/list field."""

    key: str
    field: FieldInfo | None
    parent: type[BaseModel] | None  # the model the key belongs to; None for dict/list entries
    item: bool = False  # a list item: `key` is its index

    @property
    def example(self) -> object | None:
        examples = self.field.examples if self.field else None
        if not examples:
            return None
        sample: object = examples[0]
        if self.parent is not None:
            return sample
        # An entry of a dict or list field: show one entry of the field's example.
        if isinstance(sample, dict):
            return next(iter(sample.values()), None)
        return sample[0] if isinstance(sample, list) and sample else None

    def example_line(self) -> str | None:
        """`key = <example>` as TOML, or just the example for a list item."""
        example = self.example
        if example is None:
            return None
        if self.item:
            return toml_value(example)
        return f"{toml_key(self.key)} = {toml_value(example)}"


def locate(root: type[BaseModel], loc: Sequence[str | int]) -> Slot | None:
    """Follow `loc` from `root` through models, dicts and lists to the slot it names."""
    current: Any = root
    field: FieldInfo | None = None
    for index, segment in enumerate(loc):
        last = index == len(loc) - 1
        model = model_of(current)
        if model is not None:
            field = toml_fields(model).get(str(segment))
            if last or field is None:
                return Slot(str(segment), field, model) if last else None
            current = field_type(field)[0]
        elif get_origin(current) in (dict, list):
            if last:
                return Slot(str(segment), field, None, item=get_origin(current) is list)
            current = split(get_args(current)[-1])[0]
        else:
            return None
    return None


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def toml_value(value: object) -> str:
    """`value` as it would be written in launchdeck.toml (inline tables for dicts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(key)} = {toml_value(item)}" for key, item in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, list | tuple):
        return f"[{', '.join(toml_value(item) for item in value)}]"
    return json.dumps(str(value), ensure_ascii=False)
