"""The control plane imports the pure modules to validate rules: they must bring in neither
httpx nor OpenFeature, while `LaunchdeckProvider` stays importable from the package."""

from __future__ import annotations

import subprocess
import sys

import launchdeck_openfeature
import pytest

PURE = (
    "launchdeck_openfeature.rules, launchdeck_openfeature.evaluate, launchdeck_openfeature.flagset"
)


def test_the_pure_modules_import_neither_httpx_nor_openfeature() -> None:
    script = (
        f"import sys, {PURE}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'httpcore', 'openfeature'}))"
    )

    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


def test_the_provider_is_importable_from_the_package() -> None:
    from launchdeck_openfeature import LaunchdeckProvider
    from launchdeck_openfeature.provider import LaunchdeckProvider as defined

    assert LaunchdeckProvider is defined
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        launchdeck_openfeature.Nope  # noqa: B018
