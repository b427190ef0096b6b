"""`launchdeck aws ...` as a user types it: every bad input is refused before any AWS call."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.unit.awscli.runner import Outcome, run_aws

MANIFESTS = Path(__file__).resolve().parents[1] / "aws_synth" / "manifests"
DIGEST = "sha256:" + "a" * 64


def run(*args: str) -> Outcome:
    return run_aws(*args)


def app_dir(tmp_path: Path, manifest: str, extra: str = "") -> Path:
    target = tmp_path / "app"
    target.mkdir()
    shutil.copy(MANIFESTS / manifest, target / "launchdeck.toml")
    if extra:
        with (target / "launchdeck.toml").open("a") as f:
            f.write(extra)
    return target


def test_synth_writes_both_stacks(tmp_path: Path) -> None:
    src = app_dir(tmp_path, "full.toml")
    out = tmp_path / "out"
    result = run("synth", "--path", str(src), "--env", "production", "--out", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 2 and all(f.startswith("launchdeck-") for f in files)
    body = json.loads((out / next(f for f in files if f.endswith("-production.json"))).read_text())
    assert "ImageDigest" in body["Parameters"]


def test_synth_refuses_a_region_that_does_not_exist(tmp_path: Path) -> None:
    src = tmp_path / "app"
    src.mkdir()
    (src / "launchdeck.toml").write_text(
        'app = "x"\n[aws]\nregion = "mars-north-1"\n[services.web]\ncommand = "serve"\nport = "$PORT"\n'
    )
    result = run("synth", "--path", str(src), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "aws.region" in result.output and "mars-north-1" in result.output
    assert not (tmp_path / "out").exists()


def test_deploy_by_tag_is_refused_before_any_aws_call(tmp_path: Path, no_aws: None) -> None:
    src = app_dir(
        tmp_path,
        "web.toml",
        '[aws]\ncertificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"\n',
    )
    result = run(
        "deploy",
        "--path",
        str(src),
        "--image",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/launchdeck/tiny/web:latest",
    )
    assert result.exit_code == 1
    assert "digest" in result.output and "tag" in result.output


def test_deploy_without_credentials_says_where_it_looked(tmp_path: Path, no_aws: None) -> None:
    src = app_dir(
        tmp_path,
        "web.toml",
        '[aws]\ncertificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"\n',
    )
    image = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/launchdeck/tiny/web@{DIGEST}"
    result = run("deploy", "--path", str(src), "--image", image, "--yes")
    assert result.exit_code == 1
    looked, fixes = result.output.split("\nfix: ")  # where it looked, then what to do
    assert looked.startswith("error: no AWS credentials found")
    assert "AWS_ACCESS_KEY_ID" in looked and "profile" in looked
    assert fixes.startswith("do one of:") and "OIDC" in fixes


def test_deploy_without_a_certificate_says_which_field_to_set(tmp_path: Path, no_aws: None) -> None:
    src = app_dir(tmp_path, "web.toml")
    image = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/launchdeck/tiny/web@{DIGEST}"
    result = run("deploy", "--path", str(src), "--image", image)
    assert result.exit_code == 1
    assert result.output == (
        "error: aws.certificate_arn: HTTPS for staging needs a certificate (got none)\n"
        'fix: set certificate_arn = "arn:aws:acm:..." or domain = "example.com" under [aws] '
        "(or [environments.staging.aws])"
    )


def test_cost_prints_lines_with_their_assumptions_and_a_total(tmp_path: Path) -> None:
    src = app_dir(tmp_path, "cdn.toml")
    result = run("cost", "--path", str(src), "--env", "production", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["total"] == pytest.approx(
        sum(line["monthly"] for line in report["lines"]), abs=0.05
    )
    assert all(line["assumption"] for line in report["lines"])
