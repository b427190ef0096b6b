from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from launchdeck.cli.client import CliError
from launchdeck.cli.source import default_app, git_sha, pack, parse_since


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def names_in(archive: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return sorted(tar.getnames())


# -- default_app -------------------------------------------------------------------------------


def test_default_app_reads_the_app_key(tmp_path: Path) -> None:
    write(tmp_path, {"launchdeck.toml": 'app = "shop"\n\n[services.web]\ncommand = "x"\n'})
    assert default_app(tmp_path) == "shop"


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"Procfile": "web: serve\n"},
        {"launchdeck.toml": "[services.web]\ncommand = 'x'\n"},
        {"launchdeck.toml": "app = 3\n"},
        {"launchdeck.toml": "app = \n"},
    ],
    ids=["no-manifest", "procfile-only", "no-app-key", "app-not-a-string", "invalid-toml"],
)
def test_default_app_is_none_when_the_manifest_does_not_name_one(
    tmp_path: Path, files: dict[str, str]
) -> None:
    write(tmp_path, files)
    assert default_app(tmp_path) is None


def test_default_app_of_a_missing_directory_is_none(tmp_path: Path) -> None:
    assert default_app(tmp_path / "nowhere") is None


# -- git_sha -----------------------------------------------------------------------------------


def test_git_sha_outside_a_repository_is_none(tmp_path: Path) -> None:
    assert git_sha(tmp_path) is None


def test_git_sha_is_the_head_commit(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ("git", "-C", str(tmp_path), *args), check=True, capture_output=True, text=True
        ).stdout.strip()

    try:
        git("init", "-q")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is not available")
    write(tmp_path, {"Procfile": "web: serve\n"})
    git("add", "Procfile")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "first")

    assert git_sha(tmp_path) == git("rev-parse", "HEAD")


# -- pack --------------------------------------------------------------------------------------


def test_pack_keeps_the_app_and_leaves_out_vcs_envs_and_caches(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Procfile": "web: serve\n",
            "launchdeck.toml": 'app = "shop"\n',
            "shop/__init__.py": "",
            "shop/views.py": "x = 1\n",
            "shop/views.pyc": "compiled",
            "shop/__pycache__/views.cpython-311.pyc": "compiled",
            "static/app.js": "1\n",
            ".env.example": "A=1\n",
            ".git/HEAD": "ref: refs/heads/main\n",
            ".venv/bin/python": "",
            "venv/lib/site.py": "",
            "node_modules/left-pad/index.js": "",
            "frontend/node_modules/react/index.js": "",
            ".launchdeck/cache": "",
            ".mypy_cache/x.json": "",
        },
    )

    assert names_in(pack(tmp_path)) == [
        ".env.example",
        "Procfile",
        "frontend",
        "launchdeck.toml",
        "shop",
        "shop/__init__.py",
        "shop/views.py",
        "static",
        "static/app.js",
    ]


def test_pack_paths_are_relative_to_the_app_directory(tmp_path: Path) -> None:
    write(tmp_path, {"Procfile": "web: serve\n"})

    with tarfile.open(fileobj=io.BytesIO(pack(tmp_path)), mode="r:gz") as tar:
        member = tar.getmember("Procfile")
        data = tar.extractfile(member)
        assert data is not None
        assert data.read() == b"web: serve\n"


def test_pack_stores_each_name_of_a_hard_linked_file_whole(tmp_path: Path) -> None:
    # the control plane refuses hard-link members (they can point outside the tree)
    (tmp_path / "a.txt").write_text("same")
    (tmp_path / "b.txt").hardlink_to(tmp_path / "a.txt")

    with tarfile.open(fileobj=io.BytesIO(pack(tmp_path))) as tar:
        members = {m.name: (m.isreg(), tar.extractfile(m).read()) for m in tar}  # type: ignore[union-attr]

    assert members == {"a.txt": (True, b"same"), "b.txt": (True, b"same")}


def test_pack_of_an_empty_directory_is_an_empty_tarball(tmp_path: Path) -> None:
    assert names_in(pack(tmp_path)) == []


# -- parse_since -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("10m", 600.0),
        ("1h", 3600.0),
        ("2d", 172800.0),
        ("1.5h", 5400.0),
        ("0s", 0.0),
        (" 5m ", 300.0),
        ("1 h", 3600.0),
    ],
)
def test_parse_since_turns_a_duration_into_seconds(text: str, seconds: float) -> None:
    assert parse_since(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "1w", "-1h", "1H", "1h30m", "1.h", "yesterday"])
def test_parse_since_refuses_other_text(text: str) -> None:
    with pytest.raises(CliError) as err:
        parse_since(text)

    assert err.value.message == f"--since {text!r} is not a duration"
    assert err.value.fix == "use e.g. 30s, 10m, 1h or 2d"
    assert err.value.code == 1
