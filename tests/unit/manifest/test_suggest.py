import pytest

from launchdeck.manifest.values.suggest import closest, to_name


@pytest.mark.parametrize(
    ("word", "expected"),
    [("helth", "health"), ("Web", "web"), ("comand", "command"), ("zzz", None)],
)
def test_closest(word: str, expected: str | None) -> None:
    assert closest(word, ["health", "web", "command"]) == expected


def test_closest_with_no_choices() -> None:
    assert closest("web", []) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [("My Shop", "my-shop"), ("prod_eu", "prod-eu"), ("9lives", "lives"), ("___", None),
     ("a" * 40, "a" * 30), ("Web", "web")],
)  # fmt: skip
def test_to_name(text: str, name: str | None) -> None:
    assert to_name(text) == name
