from __future__ import annotations

import pytest

from launchdeck.build import BuildError
from launchdeck.build.steps import run, stream
from launchdeck.system import Command, Runner


def test_stream_indents_each_line_as_it_arrives() -> None:
    lines: list[str] = []
    command = Command(("/bin/sh", "-c", "echo one; echo two >&2"))
    stream(Runner(), command, lines.append, what="step", fix="fix it")
    assert lines == ["       one", "       two"]


def test_failure_says_what_and_how_to_fix() -> None:
    command = Command(("/bin/sh", "-c", "echo why; exit 4"))
    with pytest.raises(BuildError) as info:
        stream(Runner(), command, lambda line: None, what="the step", fix="do this")
    assert str(info.value) == "the step failed (exit 4): do this"
    assert info.value.log_tail == "why"


def test_timeout_is_named() -> None:
    command = Command(("/bin/sh", "-c", "echo waiting; sleep 5"), timeout=0.2)
    with pytest.raises(BuildError) as info:
        stream(Runner(), command, lambda line: None, what="the step", fix="do this")
    assert str(info.value) == "the step timed out after 0.2s: do this"


@pytest.mark.parametrize("runs", [stream, run], ids=["stream", "run"])
def test_missing_program(runs: object) -> None:
    command = Command(("no-such-program-launchdeck", "--version"))
    with pytest.raises(BuildError) as info:
        if runs is stream:
            stream(Runner(), command, lambda line: None, what="x", fix="y")
        else:
            run(Runner(), command, what="x", fix="y")
    assert str(info.value) == (
        "no-such-program-launchdeck: command not found: install it on the build host"
    )
