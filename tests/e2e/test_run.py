"""`launchdeck run` as a user types it, on examples/notes (PostgreSQL): a one-off run sees the
web instances' config and DATABASE_URL, streams its output, passes its exit code through, and
an interactive session works through a real pseudo-terminal (pexpect); `--detach` keeps its
logs under its id and `ps` lists it; bad input gets a clear error."""

import shutil
import time

import pexpect
import pytest

from tests.harness import CLI, ROOT, make_control_plane

pytestmark = pytest.mark.e2e

NOTES = ROOT / "examples" / "notes"


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    """One control plane and one deploy of examples/notes for the module (a build is slow)."""
    tmp = tmp_path_factory.mktemp("runs")
    plane = make_control_plane(tmp)
    plane.start()
    try:
        app = tmp / "notes"
        shutil.copytree(NOTES, app)
        plane.cli("apps", "create", "notes")
        plane.cli("config", "set", "GREETING=hello-from-config", "--app", "notes")
        plane.cli("deploy", str(app), "--app", "notes", timeout=300)
        yield plane
    finally:
        plane.stop_everything()


def test_a_run_sees_the_web_config_and_database_and_passes_its_exit_code(notes):
    cp = notes
    done = cp.cli("run", "--app", "notes", "--", "sh", "-c",
                  'echo "$GREETING"; echo to-stderr >&2; exit 3', check=False)  # fmt: skip
    assert done.code == 3
    assert "hello-from-config" in done.out and "to-stderr" in done.out

    database = cp.cli("db", "url", "--app", "notes").out.strip()
    seen = cp.cli("run", "--app", "notes", "--", "printenv", "DATABASE_URL").out.strip()
    assert seen == database
    count = cp.cli("run", "--app", "notes", "--", "python", "-c",
                   "import os, psycopg; print(psycopg.connect(os.environ['DATABASE_URL'])"
                   ".execute('SELECT count(*) FROM notes').fetchone()[0])").out  # fmt: skip
    assert count.strip() == "0"  # the migrated table, through the same login as web


def test_an_interactive_session_works_through_a_pseudo_terminal(notes):
    cp = notes
    session = pexpect.spawn(CLI, ["run", "--app", "notes", "--", "python", "-q"], env=cp.env,
                            timeout=60, encoding="utf-8")  # fmt: skip
    try:
        session.expect_exact(">>> ")
        session.sendline(
            "import os, sys; print(os.environ['LAUNCHDECK_ENV'] * 2, sys.stdin.isatty())"
        )
        session.expect_exact("stagingstaging True")
        session.sendline("import time; time.sleep(30)")
        time.sleep(0.5)
        session.sendcontrol("c")  # Ctrl-C reaches the command, not only the CLI
        session.expect_exact("KeyboardInterrupt")
        session.expect_exact(">>> ")
        session.sendline("raise SystemExit(7)")
        session.expect(pexpect.EOF)
    finally:
        session.close()
    assert session.exitstatus == 7


def test_a_detached_run_is_listed_and_keeps_its_logs(notes):
    cp = notes
    started = cp.cli("run", "--detach", "--app", "notes", "--", "sh", "-c",
                     "echo detached-hello; sleep 30").out  # fmt: skip
    run_id = started.split()[1]
    assert run_id.startswith("run.v1-")
    listed = [i for i in cp.cli("ps", "--app", "notes", "--json").json() if i["id"] == run_id]
    assert listed and listed[0]["service"] == "run" and listed[0]["state"] == "running"
    deadline = time.monotonic() + 20
    while "detached-hello" not in cp.cli("logs", "--app", "notes", "--service", "run").out:
        assert time.monotonic() < deadline, "the run's output never reached the logs"
        time.sleep(0.3)


def test_bad_runs_are_refused_with_the_fix(cp):
    unknown = cp.cli("run", "--app", "nope", "--", "true", check=False)
    assert unknown.code == 1 and "app 'nope' not found" in unknown.err
    cp.cli("apps", "create", "fresh")
    env = cp.cli("run", "--app", "fresh", "--env", "qa", "--", "true", check=False)
    assert env.code == 1 and "has no environment 'qa'" in env.err
    empty = cp.cli("run", "--app", "fresh", "--", "true", check=False)
    assert empty.code == 1
    assert "fresh/staging has no release deployed yet: nothing to run" in empty.err
    assert "deploy first" in empty.err
