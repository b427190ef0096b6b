"""Real short-lived processes in tmp_path; every process group started here is SIGKILLed by pid
when its test ends."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from launchdeck.drivers.local.processes import Launch, Proc, Processes, wrapper_script

WAIT = 3.0  # upper bound; every wait ends as soon as its condition holds


def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def launch(tmp_path: Path, command: str, name: str = "web.v1-abcdef") -> Launch:
    return Launch(
        instance_id=name,
        command=command,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GREETING": "hello"},
        cwd=tmp_path,
        log=tmp_path / "logs" / f"{name}.log",
        pidfile=tmp_path / "run" / f"{name}.pid",
    )


class Started:
    """Starts launches through a real Processes and kills what they left behind afterwards."""

    def __init__(self) -> None:
        self.processes = Processes()
        self.pids: list[int] = []

    def start(self, spec: Launch) -> Proc:
        proc = self.processes.start(spec)
        self.pids.append(proc.pid)
        return proc

    def cleanup(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


@pytest.fixture
def started() -> Iterator[Started]:
    s = Started()
    yield s
    s.cleanup()


def pidfile_holds(spec: Launch, pid: int) -> bool:
    try:
        return spec.pidfile.read_text().strip() == str(pid)
    except OSError:
        return False


# -- wrapper_script ---------------------------------------------------------------------------


def test_wrapper_records_its_pid_then_execs_the_command(tmp_path: Path) -> None:
    spec = Launch(
        instance_id="web.v1-abcdef",
        command="gunicorn app:app --bind 0.0.0.0:$PORT",
        env={},
        cwd=tmp_path,
        log=Path("/var/log/x.log"),
        pidfile=Path("/run/launchdeck/web.v1-abcdef.pid"),
    )

    assert wrapper_script(spec) == (
        "echo $$ > /run/launchdeck/web.v1-abcdef.pid; "
        "exec /bin/sh -c 'gunicorn app:app --bind 0.0.0.0:$PORT'"
    )


def test_wrapper_joins_each_cgroup_first_quoting_paths(tmp_path: Path) -> None:
    spec = Launch(
        instance_id="web.v1-abcdef",
        command="serve",
        env={},
        cwd=tmp_path,
        log=Path("/l.log"),
        pidfile=Path("/run/my app/web.pid"),
        cgroup_procs=(
            Path("/sys/fs/cgroup/memory/launchdeck/web.v1-abcdef/cgroup.procs"),
            Path("/sys/fs/cgroup/cpu/launchdeck/web.v1-abcdef/cgroup.procs"),
        ),
    )

    assert wrapper_script(spec) == (
        "echo $$ > /sys/fs/cgroup/memory/launchdeck/web.v1-abcdef/cgroup.procs 2>/dev/null; "
        "echo $$ > /sys/fs/cgroup/cpu/launchdeck/web.v1-abcdef/cgroup.procs 2>/dev/null; "
        "echo $$ > '/run/my app/web.pid'; "
        "exec /bin/sh -c serve"
    )


# -- real processes ---------------------------------------------------------------------------


def test_start_runs_the_command_which_writes_its_own_pid(tmp_path: Path, started: Started) -> None:
    spec = launch(tmp_path, "sleep 30")

    proc = started.start(spec)

    assert eventually(lambda: pidfile_holds(spec, proc.pid))
    assert started.processes.alive(proc)
    assert started.processes.exit_code(proc) is None
    assert abs(proc.started_at - psutil.Process(proc.pid).create_time()) < 0.01
    assert os.getpgid(proc.pid) == proc.pid  # its own process group, in its own session
    assert os.getsid(proc.pid) == proc.pid
    # the wrapper writes the pidfile, then execs a shell that runs the whole command line
    assert eventually(lambda: "sleep" in [c.name() for c in psutil.Process(proc.pid).children()])


def test_the_instance_gets_its_env_cwd_and_log(tmp_path: Path, started: Started) -> None:
    spec = launch(tmp_path, "sh -c 'echo \"$GREETING from $(pwd)\"; echo oops >&2'")

    proc = started.start(spec)

    assert eventually(lambda: not started.processes.alive(proc))
    assert spec.log.read_text() == f"hello from {tmp_path}\noops\n"


def test_output_is_appended_to_an_existing_log(tmp_path: Path, started: Started) -> None:
    spec = launch(tmp_path, "echo second")
    spec.log.parent.mkdir(parents=True)
    spec.log.write_text("first\n")

    proc = started.start(spec)

    assert eventually(lambda: not started.processes.alive(proc))
    assert spec.log.read_text() == "first\nsecond\n"


def test_stop_sends_sigterm_and_the_process_ends(tmp_path: Path, started: Started) -> None:
    spec = launch(tmp_path, "sleep 30")
    proc = started.start(spec)
    assert eventually(lambda: pidfile_holds(spec, proc.pid))

    t0 = time.monotonic()
    started.processes.stop(proc, timeout=5.0)

    assert time.monotonic() - t0 < 2.0  # did not wait for the SIGKILL deadline
    assert not started.processes.alive(proc)
    assert started.processes.exit_code(proc) == -signal.SIGTERM
    assert not psutil.pid_exists(proc.pid)


def test_stop_kills_a_process_that_ignores_sigterm_after_the_timeout(
    tmp_path: Path, started: Started
) -> None:
    spec = launch(tmp_path, "sh -c 'trap \"\" TERM; echo ready; sleep 30'")
    proc = started.start(spec)
    assert eventually(lambda: spec.log.exists() and spec.log.read_text() == "ready\n")

    t0 = time.monotonic()
    started.processes.stop(proc, timeout=0.3)
    elapsed = time.monotonic() - t0

    # the shell dies on SIGTERM at once; the group's survivor is killed after the timeout
    assert 0.3 <= elapsed < 2.0
    assert not started.processes.alive(proc)
    assert started.processes.exit_code(proc) == -signal.SIGTERM
    assert not psutil.pid_exists(proc.pid)


def test_stop_kills_the_whole_process_group(tmp_path: Path, started: Started) -> None:
    spec = launch(tmp_path, "sh -c 'sleep 30 & echo $!; wait'")
    proc = started.start(spec)
    assert eventually(lambda: spec.log.exists() and spec.log.read_text().strip().isdigit())
    child = int(spec.log.read_text())

    started.processes.stop(proc, timeout=2.0)

    assert eventually(lambda: not psutil.pid_exists(child) or _zombie(child))


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_stop_of_a_process_that_already_ended_is_harmless(tmp_path: Path, started: Started) -> None:
    proc = started.start(launch(tmp_path, "true"))
    assert eventually(lambda: not started.processes.alive(proc))

    started.processes.stop(proc, timeout=1.0)

    assert started.processes.exit_code(proc) == 0


def test_exit_code_of_a_process_that_exits_with_3(tmp_path: Path, started: Started) -> None:
    proc = started.start(launch(tmp_path, "sh -c 'exit 3'"))

    assert eventually(lambda: started.processes.exit_code(proc) is not None)
    assert started.processes.exit_code(proc) == 3  # still known as a child
    assert not started.processes.alive(proc)  # reaps it
    assert started.processes.exit_code(proc) == 3  # remembered after reaping


def test_exit_code_of_a_process_it_did_not_start_is_unknown() -> None:
    assert Processes().exit_code(Proc(pid=os.getpid(), started_at=0.0)) is None


def test_alive_is_false_when_started_at_does_not_match(tmp_path: Path, started: Started) -> None:
    proc = started.start(launch(tmp_path, "sleep 30"))
    assert started.processes.alive(proc)

    recycled = Proc(proc.pid, proc.started_at + 100.0)

    assert not started.processes.alive(recycled)
    assert not Processes().alive(recycled)


def test_alive_after_a_restart_trusts_pid_and_started_at(tmp_path: Path, started: Started) -> None:
    proc = started.start(launch(tmp_path, "sleep 30"))

    assert Processes().alive(Proc(proc.pid, proc.started_at))


def test_alive_is_false_for_a_pid_that_does_not_exist() -> None:
    assert not Processes().alive(Proc(pid=2**22 + 12345, started_at=1.0))


def test_adopt_pid_reads_the_pidfile_of_a_running_instance(
    tmp_path: Path, started: Started
) -> None:
    spec = launch(tmp_path, "sleep 30")
    proc = started.start(spec)
    assert eventually(lambda: pidfile_holds(spec, proc.pid))

    adopted = Processes().adopt_pid(spec.pidfile)

    assert adopted is not None
    assert adopted.pid == proc.pid
    assert abs(adopted.started_at - proc.started_at) < 0.01


def test_adopt_pid_of_a_missing_garbled_or_dead_pidfile_is_none(tmp_path: Path) -> None:
    processes = Processes()
    garbled = tmp_path / "garbled.pid"
    garbled.write_text("not a pid\n")
    dead = tmp_path / "dead.pid"
    dead.write_text(f"{2**22 + 12345}\n")

    assert processes.adopt_pid(tmp_path / "missing.pid") is None
    assert processes.adopt_pid(garbled) is None
    assert processes.adopt_pid(dead) is None


def test_stop_leaves_alone_a_process_that_reused_the_pid(tmp_path: Path, started: Started) -> None:
    other = started.start(launch(tmp_path, "sleep 30", name="web.v2-other"))
    stale = Proc(other.pid, other.started_at - 1000.0)  # a record of an older, dead process

    Processes().stop(stale, timeout=0.2)

    # a SIGKILL takes a moment to land: give it 0.3 s to show
    assert not eventually(lambda: not started.processes.alive(other), timeout=0.3)


def test_a_command_line_with_several_commands_runs_them_all(
    tmp_path: Path, started: Started
) -> None:
    spec = launch(tmp_path, "echo one && echo two")

    proc = started.start(spec)

    assert eventually(lambda: not started.processes.alive(proc))
    assert spec.log.read_text() == "one\ntwo\n"
