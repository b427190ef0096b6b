from pathlib import Path

import pytest

from launchdeck.manifest import parse_manifest
from launchdeck.manifest.docs import EXAMPLE, main, render
from launchdeck.manifest.schema import ManifestFile, ServiceTable

REFERENCE = Path(__file__).parents[3] / "docs" / "manifest.md"


def test_committed_reference_is_current() -> None:
    assert main(["--check", str(REFERENCE)]) == 0


def test_check_detects_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "manifest.md"
    stale.write_text(render().replace("Time between probes.", "Old text."))
    assert main(["--check", str(stale)]) == 1
    assert capsys.readouterr().err == (
        f"{stale} is stale; regenerate it with: "
        f"python -m launchdeck.manifest.docs --write {stale}\n"
    )


def test_check_detects_a_missing_file(tmp_path: Path) -> None:
    assert main(["--check", str(tmp_path / "nope.md")]) == 1


def test_write_then_check(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "manifest.md"
    assert main(["--write", str(target)]) == 0
    assert main(["--check", str(target)]) == 0


def test_every_field_has_a_row() -> None:
    text = render()
    for name in [*ManifestFile.model_fields, *ServiceTable.model_fields]:
        assert f"| `{name}` |" in text


def test_sections_and_rows() -> None:
    text = render()
    assert "## `[services.<service>.health]`" in text
    assert '| `interval` | duration | `"1s"` | Time between probes. | `"1s"` |' in text
    assert '| `max_surge` | integer or "N%" | `"100%"` |' in text
    assert '| `kind` | "python" or "node" or "generic" | not set |' in text
    assert "| `scale` | table `[services.<service>.scale]` per service name | `{}` |" in text


def test_an_array_of_tables_gets_its_own_section() -> None:
    text = render()
    assert "## `[[alerts]]`" in text
    assert "| `alerts` | array of tables `[[alerts]]` | `[]` |" in text
    assert "| `for` | duration | not set | Fires once it has breached this long" in text
    assert '| `keep_firing_for` | duration | `"0s"` |' in text
    assert "  - `p95_ms`: 95th percentile response time, in milliseconds" in text


def test_the_example_declares_alerts_and_turns_one_off_in_an_environment() -> None:
    manifest = parse_manifest(EXAMPLE)
    assert [alert.name for alert in manifest.alerts] == ["slow", "errors", "tracebacks"]
    assert [alert.name for alert in manifest.for_env("staging").alerts] == ["errors", "tracebacks"]


def test_the_example_in_the_reference_is_valid() -> None:
    manifest = parse_manifest(EXAMPLE)
    assert list(manifest.services) == ["web", "worker"]
    assert EXAMPLE in render()
