"""Did-you-mean suggestions, shared by the schema and the error translation."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` was most likely meant to be, if any is close enough."""
    options = list(choices)
    # Case slips ("Web" for "web") are the most common typo and difflib scores them low.
    folded = [option for option in options if option.lower() == word.lower()]
    if folded:
        return folded[0]
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def to_name(text: str) -> str | None:
    """`text` turned into a valid app/service/environment name, or None if nothing is left."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.strip().lower())
    name = re.sub(r"^[^a-z]+", "", name).strip("-")[:30].rstrip("-")
    return name or None
