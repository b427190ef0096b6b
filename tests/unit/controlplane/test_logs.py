from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from launchdeck.controlplane.logs.patterns import compile_pattern
from launchdeck.controlplane.logs.store import RAW_RETENTION, LogQuery, LogStore
from tests.clock import ManualClock

WEB = "web.v3-1a2b3c"
WORKER = "worker.v3-4d5e6f"


def raw_file(root: Path, instance: str, app: str = "shop", env: str = "staging") -> Path:
    path = root / "raw" / app / env / f"{instance}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def append(path: Path, text: str) -> None:
    with path.open("a") as fh:
        fh.write(text)


def lines(entries: list[dict[str, object]]) -> list[object]:
    return [e["line"] for e in entries]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "logs"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(min_sleep=0.001)


@pytest.fixture
def logs(root: Path, clock: ManualClock) -> LogStore:
    return LogStore(root, clock=clock)


def test_ingest_tags_each_line_with_where_it_came_from(root: Path, logs: LogStore) -> None:
    append(raw_file(root, WEB), "listening on 0.0.0.0:20001\nGET / 200\n")

    logs.ingest()

    stored = logs.path("shop", "staging").read_text().splitlines()
    assert [json.loads(line) for line in stored] == [
        {
            "ts": 1000.0,
            "app": "shop",
            "env": "staging",
            "service": "web",
            "instance": WEB,
            "release": "v3",
            "line": "listening on 0.0.0.0:20001",
        },
        {
            "ts": 1000.0,
            "app": "shop",
            "env": "staging",
            "service": "web",
            "instance": WEB,
            "release": "v3",
            "line": "GET / 200",
        },
    ]
    assert logs.path("shop", "staging") == root / "shop" / "staging.jsonl"


def test_a_service_name_with_dashes_keeps_them(root: Path, logs: LogStore) -> None:
    append(raw_file(root, "api-gateway.v12-abcdef"), "up\n")

    [entry] = logs.query("shop", "staging", LogQuery())

    assert (entry["service"], entry["release"], entry["instance"]) == (
        "api-gateway",
        "v12",
        "api-gateway.v12-abcdef",
    )


def test_each_environment_gets_its_own_file(root: Path, logs: LogStore) -> None:
    append(raw_file(root, WEB), "staging line\n")
    append(raw_file(root, WEB, env="production"), "production line\n")
    append(raw_file(root, WEB, app="blog"), "blog line\n")

    logs.ingest()

    assert lines(logs.query("shop", "staging", LogQuery())) == ["staging line"]
    assert lines(logs.query("shop", "production", LogQuery())) == ["production line"]
    assert lines(logs.query("blog", "staging", LogQuery())) == ["blog line"]
    assert logs.query("shop", "qa", LogQuery()) == []


def test_a_partial_last_line_waits_for_its_newline(root: Path, logs: LogStore) -> None:
    raw = raw_file(root, WEB)
    append(raw, "first\nsec")

    assert lines(logs.query("shop", "staging", LogQuery())) == ["first"]

    append(raw, "ond")
    assert lines(logs.query("shop", "staging", LogQuery())) == ["first"]

    append(raw, "\nthird\n")
    assert lines(logs.query("shop", "staging", LogQuery())) == ["first", "second", "third"]


def test_a_raw_file_without_any_newline_yet_writes_nothing(root: Path, logs: LogStore) -> None:
    append(raw_file(root, WEB), "no newline yet")

    logs.ingest()

    assert not logs.path("shop", "staging").exists()
    assert not (root / "offsets.json").exists()


def test_ingesting_twice_does_not_duplicate(root: Path, logs: LogStore) -> None:
    append(raw_file(root, WEB), "once\n")

    logs.ingest()
    logs.ingest()

    assert lines(logs.query("shop", "staging", LogQuery())) == ["once"]


def test_offsets_persist_for_a_new_store_on_the_same_root(root: Path, clock: ManualClock) -> None:
    raw = raw_file(root, WEB)
    append(raw, "before restart\n")
    LogStore(root, clock=clock).ingest()
    assert json.loads((root / "offsets.json").read_text()) == {
        f"shop/staging/{WEB}.log": len("before restart\n")
    }

    append(raw, "after restart\n")
    again = LogStore(root, clock=clock)

    assert lines(again.query("shop", "staging", LogQuery())) == ["before restart", "after restart"]


def test_a_corrupt_offsets_file_starts_from_the_beginning(root: Path, clock: ManualClock) -> None:
    append(raw_file(root, WEB), "line\n")
    root.mkdir(parents=True, exist_ok=True)
    (root / "offsets.json").write_text("{not json")

    assert lines(LogStore(root, clock=clock).query("shop", "staging", LogQuery())) == ["line"]


def test_lines_from_several_instances_are_all_kept(root: Path, logs: LogStore) -> None:
    append(raw_file(root, WEB), "web says hi\n")
    append(raw_file(root, WORKER), "worker says hi\n")

    found = logs.query("shop", "staging", LogQuery())

    assert sorted((e["service"], e["line"]) for e in found) == [
        ("web", "web says hi"),
        ("worker", "worker says hi"),
    ]


def test_undecodable_bytes_are_replaced_not_fatal(root: Path, logs: LogStore) -> None:
    with raw_file(root, WEB).open("ab") as fh:
        fh.write(b"caf\xe9\n")

    assert lines(logs.query("shop", "staging", LogQuery())) == ["caf\ufffd"]


def test_query_since_uses_the_time_a_line_was_read(
    root: Path, logs: LogStore, clock: ManualClock
) -> None:
    raw = raw_file(root, WEB)
    append(raw, "old\n")
    logs.ingest()
    clock.t = 2000.0
    append(raw, "new\n")
    logs.ingest()

    assert lines(logs.query("shop", "staging", LogQuery(since=1500.0))) == ["new"]
    assert lines(logs.query("shop", "staging", LogQuery(since=2000.0))) == ["new"]
    assert lines(logs.query("shop", "staging", LogQuery(since=1000.0))) == ["old", "new"]
    assert logs.query("shop", "staging", LogQuery(since=2000.1)) == []


def test_query_grep_searches_anywhere_in_the_line(root: Path, logs: LogStore) -> None:
    append(raw_file(root, WEB), "GET /health 200\nGET /cart 500\nPOST /cart 201\n")

    q = LogQuery(grep=compile_pattern(r"/cart \d0"))

    assert lines(logs.query("shop", "staging", q)) == ["GET /cart 500", "POST /cart 201"]


def test_query_service_keeps_one_service(root: Path, logs: LogStore) -> None:
    append(raw_file(root, WEB), "from web\n")
    append(raw_file(root, WORKER), "from worker\n")

    assert lines(logs.query("shop", "staging", LogQuery(service="worker"))) == ["from worker"]
    assert logs.query("shop", "staging", LogQuery(service="clock")) == []


def test_query_limit_keeps_the_newest_matches(root: Path, logs: LogStore) -> None:
    append(raw_file(root, WEB), "".join(f"line {i}\n" for i in range(10)))

    q = LogQuery(grep=compile_pattern(r"[02468]$"), limit=2)

    assert lines(logs.query("shop", "staging", q)) == ["line 6", "line 8"]


def test_query_filters_combine(root: Path, logs: LogStore, clock: ManualClock) -> None:
    append(raw_file(root, WEB), "web error early\n")
    logs.ingest()
    clock.t = 1100.0
    append(raw_file(root, WEB), "web error late\nweb ok late\n")
    append(raw_file(root, WORKER), "worker error late\n")

    q = LogQuery(since=1050.0, grep=compile_pattern("error"), service="web")

    assert lines(logs.query("shop", "staging", q)) == ["web error late"]


def appending_clock(raw: Path) -> ManualClock:
    """Each sleep is a moment in which the instance writes another line."""
    clock = ManualClock(min_sleep=0.001)
    clock.on_sleep.append(lambda: append(raw, f"new {len(clock.sleeps)}\n"))
    return clock


def test_follow_yields_the_existing_entries_then_new_ones(root: Path) -> None:
    raw = raw_file(root, WEB)
    append(raw, "old 1\nold 2\nold 3\n")
    clock = appending_clock(raw)
    logs = LogStore(root, clock=clock)

    seen: list[object] = []
    heartbeats = 0
    for item in logs.follow("shop", "staging", LogQuery(limit=2), timeout=5.0):
        if not item:
            heartbeats += 1
            continue
        seen.append(item["line"])
        if len(seen) == 5:
            break

    assert seen == ["old 2", "old 3", "new 1", "new 2", "new 3"]
    assert heartbeats == 3  # one per idle poll, each followed by a sleep
    assert len(clock.sleeps) == 3


def test_follow_applies_the_query_to_new_entries(root: Path) -> None:
    raw = raw_file(root, WEB)
    append(raw, "old 1\n")
    clock = appending_clock(raw)
    logs = LogStore(root, clock=clock)

    seen: list[object] = []
    for item in logs.follow(
        "shop", "staging", LogQuery(grep=compile_pattern(r"[24]$")), timeout=5.0
    ):
        if item:
            seen.append(item["line"])
        if len(seen) == 2:
            break

    assert seen == ["new 2", "new 4"]


def test_follow_with_no_time_left_yields_only_the_existing_entries(
    root: Path, logs: LogStore
) -> None:
    append(raw_file(root, WEB), "a\nb\n")

    assert lines(list(logs.follow("shop", "staging", LogQuery(), timeout=0.0))) == ["a", "b"]


def test_a_drained_raw_file_is_removed_after_the_retention(
    root: Path, logs: LogStore, clock: ManualClock
) -> None:
    raw = raw_file(root, WEB)
    append(raw, "last words\n")
    logs.ingest()
    clock.t = raw.stat().st_mtime + RAW_RETENTION - 1

    logs.ingest()
    assert raw.exists()

    clock.t = raw.stat().st_mtime + RAW_RETENTION + 1
    logs.ingest()
    assert not raw.exists()
    assert lines(logs.query("shop", "staging", LogQuery())) == ["last words"]


def test_a_raw_file_with_unread_lines_is_never_removed(
    root: Path, logs: LogStore, clock: ManualClock
) -> None:
    raw = raw_file(root, WEB)
    append(raw, "unread\n")
    old = raw.stat().st_mtime - 2 * RAW_RETENTION
    os.utime(raw, (old, old))
    clock.t = raw.stat().st_mtime + 3 * RAW_RETENTION

    logs.ingest()

    assert raw.exists()
    assert lines(logs.query("shop", "staging", LogQuery())) == ["unread"]


def test_remove_deletes_the_environment_file(root: Path, logs: LogStore) -> None:
    append(raw_file(root, WEB), "x\n")
    logs.ingest()

    logs.remove("shop", "staging")
    logs.remove("shop", "staging")  # twice is fine

    assert not logs.path("shop", "staging").exists()


def test_query_matches_entries_by_their_fields() -> None:
    entry: dict[str, object] = {"ts": 10.0, "service": "web", "line": "GET /cart"}

    assert LogQuery().match(entry)
    assert not LogQuery(since=10.5).match(entry)
    assert not LogQuery(service="worker").match(entry)
    assert not LogQuery(grep=compile_pattern("POST")).match(entry)


@pytest.mark.parametrize(
    "line",
    [
        "downloading 10%\rdownloading 100%",
        '{"msg": "a\u2028b"}',
    ],
    ids=["carriage-return", "line-separator"],
)
def test_a_raw_line_is_one_entry_even_with_other_line_breaks_inside(
    root: Path, logs: LogStore, line: str
) -> None:
    with raw_file(root, WEB).open("w", newline="") as fh:
        fh.write(line + "\n")

    assert lines(logs.query("shop", "staging", LogQuery())) == [line]


def test_lines_are_redacted_before_they_are_stored(root: Path, clock: ManualClock) -> None:
    seen: list[tuple[str, str]] = []

    def redact(app: str, env: str):
        seen.append((app, env))
        return lambda line: line.replace("s3cr3t-value", "[REDACTED:TOKEN]")

    logs = LogStore(root, clock=clock, redact=redact)
    append(raw_file(root, WEB), "token is s3cr3t-value\n")

    logs.ingest()

    assert b"s3cr3t-value" not in logs.path("shop", "staging").read_bytes()
    assert lines(logs.query("shop", "staging", LogQuery())) == ["token is [REDACTED:TOKEN]"]
    assert seen[0] == ("shop", "staging")
