"""Fixture apps for the build integration tests, written into tmp dirs at test time.

Python dependencies come from a wheel made here (with a console script), named by path after
`--no-index`, so pip never needs the network."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

WHEEL_FILES = {
    "greet/__init__.py": "def main():\n    print('hello from greet')\n",
    "greet-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: greet\nVersion: 0.1\n",
    "greet-0.1.dist-info/WHEEL": (
        "Wheel-Version: 1.0\nGenerator: launchdeck-tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n"
    ),
    "greet-0.1.dist-info/entry_points.txt": "[console_scripts]\ngreet = greet:main\n",
}


def make_wheel(directory: Path) -> Path:
    """greet-0.1-py3-none-any.whl: a package `greet` and a console script `greet`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "greet-0.1-py3-none-any.whl"
    record = "".join(f"{name},,\n" for name in WHEEL_FILES) + "greet-0.1.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in WHEEL_FILES.items():
            whl.writestr(name, text)
        whl.writestr("greet-0.1.dist-info/RECORD", record)
    return path


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def python_app(root: Path, wheel: Path | None) -> Path:
    requirements = f"--no-index\n{wheel}\n" if wheel else ""
    return write(
        root,
        {
            "Procfile": "web: python app.py\n",
            "requirements.txt": requirements,
            "app.py": "print('v1')\n",
        },
    )


NODE_PACKAGE = {
    "name": "web",
    "version": "1.0.0",
    "scripts": {
        "build": "node -e \"require('fs').mkdirSync('dist');"
        " require('fs').writeFileSync('dist/out.txt', process.env.NODE_ENV)\""
    },
}
NODE_LOCK = {
    "name": "web",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {"": {"name": "web", "version": "1.0.0"}},
}


def node_app(root: Path, *, lock: bool = True) -> Path:
    files = {
        "Procfile": "web: node server.js\n",
        "package.json": json.dumps(NODE_PACKAGE, indent=2),
        "server.js": "console.log('v1')\n",
    }
    if lock:
        files["package-lock.json"] = json.dumps(NODE_LOCK, indent=2)
    return write(root, files)


def leftovers(root: Path) -> list[str]:
    """Everything a build left under `root` but empty directories and lock files."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if (path.is_symlink() or not path.is_dir()) and path.parent.name != "locks"
    )
