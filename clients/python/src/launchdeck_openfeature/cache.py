"""The last flag set received, kept in a file so a restart with no server still evaluates it.

Written atomically (a temporary file in the same directory, then a rename): a reader sees the
old set or the new one, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import FlagSetError
from .flagset import FlagSet

log = logging.getLogger("launchdeck_openfeature")


@dataclass(frozen=True)
class FlagCache:
    path: Path

    def load(self) -> FlagSet | None:
        """The cached set; None when there is none, or it cannot be read (logged)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            log.warning("launchdeck flags: cannot read the cache file %s (%s)", self.path, err)
            return None
        try:
            return FlagSet.from_json(json.loads(text))
        except (json.JSONDecodeError, FlagSetError) as err:
            log.warning(
                "launchdeck flags: ignoring the cache file %s: %s (it is rewritten on the next "
                "set the server sends)",
                self.path,
                err,
            )
            return None

    def save(self, body: Mapping[str, object]) -> None:
        """Replace the cached set with `body` (a set as the server sent it). Raises OSError."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(body, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
