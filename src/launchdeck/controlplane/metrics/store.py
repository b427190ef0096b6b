"""The embedded time-series store: `$LAUNCHDECK_HOME/metrics.db` (SQLite, apart from the state
database so that a busy minute of metrics never waits on a deploy's writes, nor they on it).

Three resolutions: 10 s points kept 24 h, 1 min points 14 days, 1 h points 90 days (by default).
Each finished minute and hour is rolled up from the resolution below it: request counts add up,
latency buckets merge (so a p95 of an hour is exact to its buckets, not an average of p95s),
gauges average. Pruning deletes what is older than its resolution keeps.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchdeck.domain.metrics import STATUS_CLASSES, RequestWindow, Sample, Series, merged
from launchdeck.system.sqlite import SharedDb

STEPS = (10, 60, 3600)  # seconds per point at each resolution, finest first
DEFAULT_RETENTION = {10: 24 * 3600.0, 60: 14 * 86400.0, 3600: 90 * 86400.0}

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    app TEXT NOT NULL, env TEXT NOT NULL, service TEXT NOT NULL,
    instance TEXT NOT NULL, release TEXT NOT NULL,
    UNIQUE (app, env, service, instance, release)
);
CREATE TABLE IF NOT EXISTS requests (
    series INTEGER NOT NULL, step INTEGER NOT NULL, t INTEGER NOT NULL,
    requests INTEGER NOT NULL, statuses TEXT NOT NULL, bytes_out INTEGER NOT NULL,
    total_ms TEXT NOT NULL, server_ms TEXT NOT NULL,
    PRIMARY KEY (step, t, series)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS gauges (
    series INTEGER NOT NULL, name INTEGER NOT NULL, step INTEGER NOT NULL, t INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (step, t, series, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rolled (step INTEGER PRIMARY KEY, until INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class RequestPoint:
    """One series' requests over [t, t + step)."""

    series: Series
    t: int
    step: int
    requests: int
    statuses: Mapping[str, int]
    bytes_out: int
    total_ms: Mapping[int, int]
    server_ms: Mapping[int, int]


@dataclass(frozen=True)
class GaugePoint:
    series: Series
    name: str
    t: int
    step: int
    value: float


class MetricsStore:
    def __init__(self, path: Path, retention: Mapping[int, float] = DEFAULT_RETENTION) -> None:
        self._shared = SharedDb(path, SCHEMA, durable=False)
        self.path = path
        self.retention = dict(retention)
        self._db, self._lock = self._shared.db, self._shared.lock
        self._series: dict[Series, int] = {}
        self._names: dict[str, int] = {}

    def add_schema(self, sql: str) -> None:
        """Tables of another part kept in this database (alerts), created if missing."""
        with self._lock:
            self._db.executescript(sql)

    def close(self) -> None:
        self._shared.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._shared.transaction()

    # -- writing ---------------------------------------------------------------------------------

    def add_windows(self, windows: Iterable[RequestWindow]) -> None:
        """Store 10 s request windows (a window already stored for its series is added to)."""
        with self.transaction() as db:
            for w in windows:
                sid = self._series_id(db, w.series)
                old = db.execute(
                    "SELECT requests, statuses, bytes_out, total_ms, server_ms FROM requests "
                    "WHERE series = ? AND step = ? AND t = ?",
                    (sid, STEPS[0], int(w.start)),
                ).fetchone()
                point = as_point(w)
                if old is not None:
                    point = summed([point, _row_point(w.series, int(w.start), STEPS[0], old)])
                _put_request(db, sid, point)

    def add_samples(self, samples: Iterable[Sample]) -> None:
        """Store gauges at 10 s resolution (the last sample of a point wins)."""
        with self.transaction() as db:
            for s in samples:
                t = int(s.at // STEPS[0] * STEPS[0])
                db.execute(
                    "INSERT OR REPLACE INTO gauges VALUES (?, ?, ?, ?, ?)",
                    (
                        self._series_id(db, s.series),
                        self._name_id(db, s.name),
                        STEPS[0],
                        t,
                        s.value,
                    ),
                )

    def _series_id(self, db: sqlite3.Connection, series: Series) -> int:
        sid = self._series.get(series)
        if sid is None:
            labels = (series.app, series.env, series.service, series.instance, series.release)
            db.execute("INSERT OR IGNORE INTO series VALUES (NULL, ?, ?, ?, ?, ?)", labels)
            sid = int(
                db.execute(
                    "SELECT id FROM series WHERE app = ? AND env = ? AND service = ? "
                    "AND instance = ? AND release = ?",
                    labels,
                ).fetchone()[0]
            )
            self._series[series] = sid
        return sid

    def _name_id(self, db: sqlite3.Connection, name: str) -> int:
        nid = self._names.get(name)
        if nid is None:
            db.execute("INSERT OR IGNORE INTO names VALUES (NULL, ?)", (name,))
            nid = int(db.execute("SELECT id FROM names WHERE name = ?", (name,)).fetchone()[0])
            self._names[name] = nid
        return nid

    # -- roll-ups and retention ------------------------------------------------------------------

    def roll_up(self, now: float) -> None:
        """Roll every finished minute and hour up from the resolution below; then prune."""
        for finer, coarser in itertools.pairwise(STEPS):
            self._roll(finer, coarser, int(now // coarser * coarser))
        self.prune(now)

    def _roll(self, finer: int, coarser: int, until: int) -> None:
        with self.transaction() as db:
            row = db.execute("SELECT until FROM rolled WHERE step = ?", (coarser,)).fetchone()
            since = row[0] if row else 0
            if until <= since:
                return
            requests: dict[tuple[int, int], list[RequestPoint]] = defaultdict(list)
            for sid, t, *rest in db.execute(
                "SELECT series, t, requests, statuses, bytes_out, total_ms, server_ms "
                "FROM requests WHERE step = ? AND t >= ? AND t < ?",
                (finer, since, until),
            ):
                requests[(sid, t // coarser * coarser)].append(_row_point(None, t, finer, rest))
            for (sid, t), points in requests.items():
                _put_request(db, sid, summed(points, t=t, step=coarser))
            db.execute(
                "INSERT OR REPLACE INTO gauges SELECT series, name, ?, t / ? * ?, avg(value) "
                "FROM gauges WHERE step = ? AND t >= ? AND t < ? GROUP BY series, name, t / ?",
                (coarser, coarser, coarser, finer, since, until, coarser),
            )
            db.execute("INSERT OR REPLACE INTO rolled VALUES (?, ?)", (coarser, until))

    def prune(self, now: float) -> None:
        with self.transaction() as db:
            for step, keep in self.retention.items():
                for table in ("requests", "gauges"):
                    db.execute(f"DELETE FROM {table} WHERE step = ? AND t < ?", (step, now - keep))

    # -- reading ---------------------------------------------------------------------------------

    def requests(
        self, app: str, env: str, *, since: float, step: int, service: str | None = None
    ) -> list[RequestPoint]:
        rows = self.read(
            "SELECT s.app, s.env, s.service, s.instance, s.release, r.t, r.requests, r.statuses,"
            " r.bytes_out, r.total_ms, r.server_ms FROM requests r JOIN series s ON s.id = r.series"
            " WHERE s.app = ? AND s.env = ? AND (? IS NULL OR s.service = ?) AND r.step = ?"
            " AND r.t >= ? ORDER BY r.t",
            (app, env, service, service, step, int(since)),
        )
        return [_row_point(Series(*row[:5]), row[5], step, row[6:]) for row in rows]

    def request_count(self, app: str, env: str, *, since: float) -> int:
        """The environment's requests since `since` (10 s points: the last 24 hours at most)."""
        [(count,)] = self.read(
            "SELECT coalesce(sum(r.requests), 0) FROM requests r JOIN series s ON s.id = r.series"
            " WHERE s.app = ? AND s.env = ? AND r.step = ? AND r.t >= ?",
            (app, env, STEPS[0], int(since)),
        )
        return int(count)

    def gauges(
        self, app: str, env: str, *, since: float, step: int, service: str | None = None
    ) -> list[GaugePoint]:
        rows = self.read(
            "SELECT s.app, s.env, s.service, s.instance, s.release, n.name, g.t, g.value"
            " FROM gauges g JOIN series s ON s.id = g.series JOIN names n ON n.id = g.name"
            " WHERE s.app = ? AND s.env = ?"
            " AND (? IS NULL OR s.service = ?) AND g.step = ? AND g.t >= ? ORDER BY g.t",
            (app, env, service, service, step, int(since)),
        )
        return [GaugePoint(Series(*row[:5]), row[5], row[6], step, row[7]) for row in rows]

    def read(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params))


# -- rows ----------------------------------------------------------------------------------------


def as_point(w: RequestWindow) -> RequestPoint:
    return RequestPoint(
        w.series, int(w.start), STEPS[0], w.requests, w.statuses, w.bytes_out, w.total_ms,
        w.server_ms,
    )  # fmt: skip


def _row_point(series: Series | None, t: int, step: int, row: Sequence[object]) -> RequestPoint:
    requests, statuses, bytes_out, total, server = row
    return RequestPoint(
        series or Series("", "", ""), t, step, int(str(requests)), json.loads(str(statuses)),
        int(str(bytes_out)), _buckets(str(total)), _buckets(str(server)),
    )  # fmt: skip


def _buckets(text: str) -> dict[int, int]:
    return {int(b): n for b, n in json.loads(text).items()}


def summed(
    points: Sequence[RequestPoint], *, t: int | None = None, step: int | None = None
) -> RequestPoint:
    first = points[0]
    statuses: dict[str, int] = {}
    for p in points:
        for klass, n in p.statuses.items():
            statuses[klass] = statuses.get(klass, 0) + n
    return RequestPoint(
        first.series,
        first.t if t is None else t,
        first.step if step is None else step,
        sum(p.requests for p in points),
        {k: statuses[k] for k in STATUS_CLASSES if k in statuses},
        sum(p.bytes_out for p in points),
        merged(*(p.total_ms for p in points)),
        merged(*(p.server_ms for p in points)),
    )


def _put_request(db: sqlite3.Connection, sid: int, p: RequestPoint) -> None:
    db.execute(
        "INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sid, p.step, p.t, p.requests, json.dumps(p.statuses, separators=(",", ":")),
            p.bytes_out, _compact(p.total_ms), _compact(p.server_ms),
        ),
    )  # fmt: skip


def _compact(buckets: Mapping[int, int]) -> str:
    return json.dumps({str(b): n for b, n in sorted(buckets.items())}, separators=(",", ":"))
