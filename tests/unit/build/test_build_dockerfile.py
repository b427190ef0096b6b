from __future__ import annotations

import json
from pathlib import Path

import pytest

from launchdeck.build.dockerfile import docker_files
from launchdeck.build.errors import BuildError
from launchdeck.domain import BuildSpec

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hello"


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("#")]


def test_python_with_requirements_installs_them_before_the_code_is_copied() -> None:
    files = docker_files(EXAMPLE, BuildSpec(), command="python app.py")
    assert files.kind == "python"
    assert lines(files.dockerfile) == [
        "FROM python:3.11-slim",
        "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1",
        "WORKDIR /app",
        "COPY requirements.txt ./",
        "RUN pip install -r requirements.txt",
        "COPY . .",
        "RUN useradd --system --uid 10001 --no-create-home app",
        "USER 10001",
        "ENV PORT=8080",
        "EXPOSE 8080",
        'CMD ["sh", "-c", "python app.py"]',
    ]
    assert ".git" in files.dockerignore.splitlines()


def test_python_version_file_and_build_command_are_honoured(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["flask"]\n')
    (tmp_path / ".python-version").write_text("3.12.4\n")
    files = docker_files(tmp_path, BuildSpec(command="make assets"), command=None)
    body = lines(files.dockerfile)
    assert body[0] == "FROM python:3.12-slim"
    assert "COPY pyproject.toml ./" in body
    assert body.index("COPY . .") < body.index("RUN make assets") < body.index("USER 10001")
    assert not any(line.startswith("CMD") for line in body)


def test_node_uses_npm_ci_with_the_lockfile_and_the_engines_major(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"engines": {"node": ">=22.1"}}))
    (tmp_path / "package-lock.json").write_text("{}")
    body = lines(docker_files(tmp_path, BuildSpec(), command="node server.js").dockerfile)
    assert body[:5] == [
        "FROM node:22-slim",
        "ENV NODE_ENV=production",
        "WORKDIR /app",
        "COPY package.json package-lock.json ./",
        "RUN npm ci --omit=dev --no-audit --no-fund",
    ]


def test_node_without_a_lockfile_says_how_to_make_one(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(BuildError) as caught:
        docker_files(tmp_path, BuildSpec(), command=None)
    assert str(caught.value) == (
        f"{tmp_path}: package-lock.json is missing: run `npm install` and commit package-lock.json"
    )


def test_generic_app_copies_the_tree(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web: ./serve\n")
    body = lines(docker_files(tmp_path, BuildSpec(), command="./serve").dockerfile)
    assert body[:3] == ["FROM debian:bookworm-slim", "WORKDIR /app", "COPY . ."]
