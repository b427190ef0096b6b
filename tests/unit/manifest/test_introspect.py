from typing import Annotated

import pytest

from launchdeck.manifest.alerts.schema import AlertTable
from launchdeck.manifest.introspect import locate, split, toml_fields, toml_value
from launchdeck.manifest.schema import (
    EnvironmentTable,
    HealthTable,
    ManifestFile,
    ScaleTable,
    ServiceTable,
)
from launchdeck.manifest.values.fieldtypes import Doc

MARK = Doc("thing")


def test_split_strips_optional_and_annotated_layers() -> None:
    assert split(Annotated[int, MARK] | None) == (int, [MARK])
    assert split(list[int]) == (list[int], [])


def test_locate_a_model_field() -> None:
    slot = locate(ManifestFile, ("services", "web", "health", "path"))
    assert slot is not None
    assert (slot.key, slot.parent, slot.field is HealthTable.model_fields["path"]) == (
        "path",
        HealthTable,
        True,
    )


def test_locate_a_dict_entry_names_its_field() -> None:
    slot = locate(ManifestFile, ("environments", "prod", "scale", "web"))
    assert slot is not None
    assert (slot.parent, slot.field is EnvironmentTable.model_fields["scale"]) == (None, True)
    assert slot.example_line() == "web = { count = 3, max = 20 }"


def test_locate_a_list_item() -> None:
    slot = locate(ManifestFile, ("environments", "prod", "domains", 0))
    assert slot is not None
    assert (slot.item, slot.example_line()) == (True, '"api.example.com"')


def test_locate_an_unknown_key_still_names_its_table() -> None:
    slot = locate(ManifestFile, ("services", "web", "helth"))
    assert slot is not None
    assert (slot.parent, slot.field) == (ServiceTable, None)


def test_locate_past_a_leaf_is_none() -> None:
    assert locate(ManifestFile, ("app", "x")) is None
    assert locate(ManifestFile, ("nope", "x")) is None


def test_example_line_of_a_field() -> None:
    slot = locate(ManifestFile, ("services", "web", "scale", "count"))
    assert slot is not None and slot.parent is ScaleTable
    assert slot.example_line() == "count = 2"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (2, "2"),
        (0.5, "0.5"),
        ('say "hi"', '"say \\"hi\\""'),
        ({"a": 1, "b-c": "x", "d e": []}, '{ a = 1, b-c = "x", "d e" = [] }'),
        ({}, "{}"),
        (["a", 1], '["a", 1]'),
    ],
)
def test_toml_value(value: object, text: str) -> None:
    assert toml_value(value) == text


def test_a_field_is_found_by_the_key_the_file_writes() -> None:
    slot = locate(ManifestFile, ("alerts", 0, "for"))
    assert slot is not None
    assert (slot.key, slot.parent, slot.example_line()) == ("for", AlertTable, 'for = "5m"')
    unknown = locate(ManifestFile, ("alerts", 0, "for_"))
    assert unknown is not None and unknown.field is None


def test_toml_fields_use_aliases() -> None:
    assert "for" in toml_fields(AlertTable) and "for_" not in toml_fields(AlertTable)
