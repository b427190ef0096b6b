"""The base of every schema model: unknown keys are errors and values are never coerced."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Table(BaseModel):
    # strict: a TOML 2 is never silently the string "2", nor true the number 1.
    model_config = ConfigDict(extra="forbid", strict=True)
