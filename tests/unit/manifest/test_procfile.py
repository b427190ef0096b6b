import pytest

from launchdeck.domain import HealthCheck, ServiceSpec
from launchdeck.manifest import ManifestError, parse_procfile


def error_text(text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        parse_procfile(text)
    return str(caught.value)


def test_web_gets_a_port_and_health_others_are_workers() -> None:
    text = "# processes\n\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\nworker:python -m jobs\n"
    assert parse_procfile(text) == {
        "web": ServiceSpec(
            "web", "gunicorn app:app --bind 0.0.0.0:$PORT", port=True, health=HealthCheck()
        ),
        "worker": ServiceSpec("worker", "python -m jobs"),
    }


def test_colons_in_the_command_are_kept() -> None:
    assert parse_procfile("web: python -c 'print(1)' --url http://x:1\n")["web"].command == (
        "python -c 'print(1)' --url http://x:1"
    )


def test_every_bad_line_is_reported_with_its_number() -> None:
    text = "web gunicorn app\nWeb_2: serve\nclock:\n\nweb: a\nweb: b\n"
    assert error_text(text) == "\n".join([
        "Procfile: line 1: should be 'name: command' (got 'web gunicorn app'); "
        "fix: write it as 'web: gunicorn app'",
        "Procfile: line 2: process type should be lowercase letters, digits and '-', starting "
        "with a letter (got 'Web_2'); fix: use 'web-2'",
        "Procfile: line 3: command is empty (got 'clock:'); fix: add the command after 'clock:'",
        "Procfile: line 6: duplicate process type, first defined on line 5 (got 'web'); "
        "fix: rename or remove one of them",
    ])  # fmt: skip


def test_a_line_without_a_command() -> None:
    assert error_text("serve\n") == (
        "Procfile: line 1: should be 'name: command' (got 'serve'); fix: write 'web: <command>'"
    )


def test_an_empty_procfile() -> None:
    assert error_text("# nothing yet\n") == (
        "Procfile: no process types; "
        'fix: add a line like "web: gunicorn app:app --bind 0.0.0.0:$PORT"'
    )


def test_source_names_the_file() -> None:
    with pytest.raises(ManifestError) as caught:
        parse_procfile("", source="app/Procfile")
    assert str(caught.value).startswith("app/Procfile: no process types")
