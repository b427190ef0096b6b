"""How long synthesizing an app's AWS stacks takes, in-process.

measure() synthesizes the shared and production stacks of the web + worker + PostgreSQL + Redis
variant (tests/unit/aws_synth/manifests/full.toml) five times, JSON included, and reports the
median. bench/run.py prints it as `aws_synth_s: <seconds>`.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from launchdeck.drivers.aws.synth import synth_env, synth_shared, to_json
from launchdeck.manifest import parse_manifest

MANIFEST = Path(__file__).parents[1] / "tests" / "unit" / "aws_synth" / "manifests" / "full.toml"
RUNS = 5


def measure() -> dict[str, float]:
    manifest = parse_manifest(MANIFEST.read_text(), source=str(MANIFEST))
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        to_json(synth_shared(manifest))
        to_json(synth_env(manifest, "production"))
        times.append(time.perf_counter() - started)
    return {"aws_synth_s": round(statistics.median(times), 4), "aws_synth_cli_s": cli_seconds()}


def cli_seconds() -> float:
    """`launchdeck aws synth` as a user runs it: a new process, imports and files included."""
    cli = Path(sys.executable).parent / "launchdeck"
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "app"
        app.mkdir()
        shutil.copy(MANIFEST, app / "launchdeck.toml")
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run(
                [str(cli), "aws", "synth", "--path", str(app), "--env", "production",
                 "--out", str(Path(tmp) / "out")],
                check=True, capture_output=True,
            )  # fmt: skip
            times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


if __name__ == "__main__":
    for name, value in measure().items():
        print(f"{name}: {value}")
