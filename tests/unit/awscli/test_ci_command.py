from __future__ import annotations

import shutil
from pathlib import Path

from tests.unit.awscli.runner import Outcome, run_aws

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hello"


def run(*args: str) -> Outcome:
    return run_aws("ci", "github", "--path", *args)


def test_writes_the_workflow_and_a_dockerfile_for_an_app_without_one(tmp_path: Path) -> None:
    app_dir = tmp_path / "hello"
    shutil.copytree(EXAMPLE, app_dir)
    result = run(str(app_dir))
    assert result.exit_code == 0, result.output
    workflow = (app_dir / ".github/workflows/launchdeck.yml").read_text()
    assert "launchdeck aws deploy --app hello --env staging" in workflow
    assert "/launchdeck/hello/web:" in workflow and "/launchdeck/hello/worker:" in workflow
    dockerfile = (app_dir / "Dockerfile").read_text()
    assert 'CMD ["sh", "-c", "python app.py"]' in dockerfile
    assert (app_dir / ".dockerignore").is_file()


def test_an_existing_dockerfile_is_kept_and_an_existing_workflow_needs_force(
    tmp_path: Path,
) -> None:
    app_dir = tmp_path / "hello"
    shutil.copytree(EXAMPLE, app_dir)
    (app_dir / "Dockerfile").write_text("FROM scratch\n")
    assert run(str(app_dir)).exit_code == 0
    assert (app_dir / "Dockerfile").read_text() == "FROM scratch\n"

    again = run(str(app_dir))
    assert again.exit_code == 1
    assert "launchdeck.yml exists" in again.output and "--force" in again.output
    assert run(str(app_dir), "--force").exit_code == 0


def test_a_bad_manifest_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "launchdeck.toml").write_text('app = "x"\n[services.web]\ncomand = "serve"\n')
    result = run(str(tmp_path))
    assert result.exit_code == 1
    assert "services.web.comand" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["launchdeck.toml"]
