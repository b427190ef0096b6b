"""The lint gates: cfn-lint and checkov find nothing in any synthesized template.

Both run once, side by side, over a directory of every variant's shared, staging and production
stacks. checkov's skips live in checkov.yaml at the repository root, each with its reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchdeck.drivers.aws.synth import write
from tests.unit.aws_synth.variants import ROOT, all_templates

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
CHECKOV_CONFIG = ROOT / "checkov.yaml"


class Runs:
    def __init__(self, directory: Path) -> None:
        if not CHECKOV.exists():
            pytest.fail(f"{CHECKOV} is missing; run scripts/setup (make setup) to install it")
        files = sorted(str(path) for path in directory.glob("*.json"))
        self.files = files
        self.cfn_lint = subprocess.Popen(
            [str(CFN_LINT), "--format", "parseable", *files],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.checkov = subprocess.Popen(
            [
                str(CHECKOV),
                "--config-file",
                str(CHECKOV_CONFIG),
                "-d",
                str(directory),
                "-o",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def close(self) -> None:
        for process in (self.cfn_lint, self.checkov):
            if process.poll() is None:
                process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    directory = tmp_path_factory.mktemp("templates")
    write(all_templates(), directory)
    started = Runs(directory)
    yield started
    started.close()


def test_every_variant_is_linted(runs: Runs) -> None:
    # 7 variants x (shared + staging + production)
    assert len(runs.files) == 21


def test_cfn_lint_finds_no_error_or_warning(runs: Runs) -> None:
    out, _ = runs.cfn_lint.communicate(timeout=120)
    findings = [line for line in out.splitlines() if line.strip()]
    assert runs.cfn_lint.returncode == 0, "\n".join(findings)
    assert findings == []


def test_checkov_finds_nothing_outside_the_skip_list(runs: Runs) -> None:
    out, err = runs.checkov.communicate(timeout=180)
    assert out.strip(), f"checkov printed nothing; stderr:\n{err[-2000:]}"
    reports = json.loads(out)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']} in {Path(check['file_path']).name}: "
        f"{check['check_name']}"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert failed == []
    assert sum(report["summary"]["passed"] for report in reports) > 500
    assert all(report["summary"]["parsing_errors"] == 0 for report in reports)


def test_every_skip_has_a_reason() -> None:
    lines = CHECKOV_CONFIG.read_text().splitlines()
    skips = [index for index, line in enumerate(lines) if line.strip().startswith("- CKV")]
    assert skips and len(skips) <= 8
    for index in skips:
        assert lines[index - 1].strip().startswith("#"), lines[index]
