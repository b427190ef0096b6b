"""The app directory as the CLI sees it: its name, its git commit, a tarball to upload."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tomllib
from pathlib import Path

from launchdeck.cli.client import CliError

SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", ".launchdeck", ".mypy_cache"}


def default_app(path: Path) -> str | None:
    """The `app` key of launchdeck.toml in `path`, if any."""
    try:
        data = tomllib.loads((path / "launchdeck.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    name = data.get("app")
    return name if isinstance(name, str) else None


def git_sha(path: Path) -> str | None:
    try:
        out = subprocess.run(
            ("git", "-C", str(path), "rev-parse", "HEAD"), capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def pack(path: Path) -> bytes:
    """A gzipped tar of the app directory, without VCS data, virtualenvs or caches."""
    buf = io.BytesIO()

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        if any(p in SKIP for p in parts) or info.name.endswith(".pyc"):
            return None
        return info

    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        # the server takes no hard links: each name of a file goes in whole
        tar.inodes = _NoHardLinks()  # type: ignore[attr-defined]
        for child in sorted(path.iterdir()):
            tar.add(child, arcname=child.name, filter=keep)
    return buf.getvalue()


class _NoHardLinks(dict[tuple[int, int], str]):
    """tarfile's record of inodes already added, which remembers none: a second name of a
    file is stored as a regular file rather than a link to the first."""

    def __contains__(self, key: object) -> bool:
        return False

    def __setitem__(self, key: tuple[int, int], value: str) -> None:
        pass


def parse_since(text: str) -> float:
    """`--since 10m`: the manifest's duration grammar, in the units a log search takes."""
    # imported here: the manifest package (pydantic) would slow every command's start
    from launchdeck.manifest.values.units import BadValue, Durations

    since = Durations(("s", "m", "h", "d"), "1h", bare_seconds=False, help="30s, 10m, 1h or 2d")
    try:
        seconds = since.seconds(text)
    except BadValue:
        seconds = -1.0
    if seconds < 0:
        raise CliError(f"--since {text!r} is not a duration", "use e.g. 30s, 10m, 1h or 2d")
    return seconds
