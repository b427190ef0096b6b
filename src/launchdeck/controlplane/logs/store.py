"""Instance logs: raw output files (written by the instances themselves, so nothing is lost while
the control plane is down) are ingested into one JSON-lines file per environment, each line
tagged with app, env, service, instance and release and stamped when it was read."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from launchdeck.controlplane.logs.patterns import Pattern, found_in
from launchdeck.system import SYSTEM_CLOCK, Clock, atomic_write

log = logging.getLogger("launchdeck.logs")

RAW_RETENTION = 3600.0  # a finished instance's raw file is removed an hour after its last line


@dataclass(frozen=True)
class LogQuery:
    since: float | None = None
    grep: Pattern[str] | None = None  # searched with a time limit: TimeoutError past it
    service: str | None = None
    limit: int = 1000

    def match(self, entry: dict[str, object]) -> bool:
        if self.since is not None and float(entry["ts"]) < self.since:  # type: ignore[arg-type]
            return False
        if self.service is not None and entry["service"] != self.service:
            return False
        return self.grep is None or found_in(self.grep, str(entry["line"]))


def _keep(_app: str, _env: str) -> Callable[[str], str]:
    return lambda line: line


class LogStore:
    """`redact(app, env)` gives the function every ingested line of that environment goes
    through (secret values out) before it is stored."""

    def __init__(
        self,
        root: Path,
        *,
        clock: Clock = SYSTEM_CLOCK,
        redact: Callable[[str, str], Callable[[str], str]] = _keep,
    ) -> None:
        self.raw = root / "raw"
        self.root = root
        self.clock = clock
        self._redact = redact
        self._offsets_file = root / "offsets.json"
        self._offsets: dict[str, int] = self._load_offsets()
        self._lock = threading.Lock()

    def _load_offsets(self) -> dict[str, int]:
        try:
            data = json.loads(self._offsets_file.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): int(v) for k, v in data.items()}

    def path(self, app: str, env: str) -> Path:
        return self.root / app / f"{env}.jsonl"

    def ingest(self) -> None:
        """Move new complete lines from every raw file into the tagged per-environment files."""
        with self._lock:
            changed = False
            for raw in sorted(self.raw.glob("*/*/*.log")):
                changed |= self._ingest_file(raw)
            if changed:
                atomic_write(self._offsets_file, json.dumps(self._offsets), mode=0o600)

    def _ingest_file(self, raw: Path) -> bool:
        key = str(raw.relative_to(self.raw))
        offset = self._offsets.get(key, 0)
        try:
            stat = raw.stat()
            size = stat.st_size
            if size <= offset:
                if self.clock.now() - stat.st_mtime > RAW_RETENTION and size == offset:
                    raw.unlink(missing_ok=True)
                return False
            with raw.open("rb") as fh:
                fh.seek(offset)
                chunk = fh.read(size - offset)
        except OSError:
            return False
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            return False
        app, env, name = raw.parent.parent.name, raw.parent.name, raw.stem
        service, _, rest = name.partition(".")
        release = rest.split("-")[0]
        now = self.clock.now()
        clean = self._redact(app, env)
        entries = [
            json.dumps(
                {
                    "ts": now,
                    "app": app,
                    "env": env,
                    "service": service,
                    "instance": name,
                    "release": release,
                    "line": clean(line),
                }
            )
            for line in chunk[:end].decode(errors="replace").split("\n")[:-1]
        ]
        out = self.path(app, env)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a") as fh:
            fh.write("\n".join(entries) + "\n")
        self._offsets[key] = offset + end
        return True

    def read_from(self, app: str, env: str, offset: int) -> tuple[list[dict[str, object]], int]:
        """The entries written after `offset` (0: all), and the offset to read on from."""
        self.ingest()
        return self._read(self.path(app, env), offset)

    def query(self, app: str, env: str, q: LogQuery) -> list[dict[str, object]]:
        self.ingest()
        found: list[dict[str, object]] = []
        for entry in self._read(self.path(app, env), 0)[0]:
            if q.match(entry):
                found.append(entry)
        return found[-q.limit :]

    def follow(
        self, app: str, env: str, q: LogQuery, *, timeout: float = 3600.0
    ) -> Iterator[dict[str, object]]:
        """Yield matching entries as they arrive (after the last `q.limit` existing ones)."""
        path = self.path(app, env)
        self.ingest()
        entries, offset = self._read(path, 0)
        try:
            yield from [e for e in entries if q.match(e)][-q.limit :]
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                self.ingest()
                entries, offset = self._read(path, offset)
                yield from (e for e in entries if q.match(e))
                if not entries:
                    yield {}  # a heartbeat: lets the server notice a client that went away
                    self.clock.sleep(0.25)
        except TimeoutError:  # the pattern backtracks without end: the stream ends here
            log.warning("%s/%s: logs --follow stopped: its --grep took too long", app, env)

    def _read(self, path: Path, offset: int) -> tuple[list[dict[str, object]], int]:
        try:
            with path.open("rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except OSError:
            return [], offset
        end = data.rfind(b"\n") + 1
        entries = [json.loads(line) for line in data[:end].split(b"\n") if line.strip()]
        return entries, offset + end

    def remove(self, app: str, env: str) -> None:
        self.path(app, env).unlink(missing_ok=True)
