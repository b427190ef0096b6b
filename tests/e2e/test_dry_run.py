"""`deploy --dry-run` and `scale --dry-run` print the plan the executor would run, checked as the
real command checks it, and change nothing: no build, no release, no instance."""

import pytest

from tests.harness import copy_example

pytestmark = pytest.mark.e2e


def test_dry_runs_show_the_plan_and_change_nothing(cp, tmp_path):
    app = copy_example(tmp_path)
    cp.cli("apps", "create", "hello")
    cp.cli("deploy", str(app), "--app", "hello")
    before = cp.cli("ps", "--app", "hello", "--json").json()
    releases = cp.cli("releases", "--app", "hello", "--json").json()

    deploy = cp.cli("deploy", str(app), "--app", "hello", "--dry-run").out
    scale = cp.cli("scale", "web=3", "worker=0", "--app", "hello", "--dry-run").out
    refused = cp.cli("scale", "web=100000", "--app", "hello", "--dry-run", check=False)

    old_web = sorted(i["id"] for i in before if i["service"] == "web")
    old_worker = [i["id"] for i in before if i["service"] == "worker"]
    assert "-----> Plan for v2 (dry run: nothing changed)" in deploy
    assert [step(line) for line in steps_of(deploy)] == [
        ("side by side (web, worker):", [""]),
        ("start web v2", 2),
        ("wait for web health", 2),
        ("start worker v2", 1),
        ("wait for worker health", 1),
        ("once every service passed its gate:", [""]),
        ("route traffic to web", 2),
        ("drain web", old_web),
        ("stop web", old_web),
        ("drain worker", old_worker),
        ("stop worker", old_worker),
    ]
    assert "-----> Plan for v1 (dry run: nothing changed)" in scale
    assert [step(line) for line in steps_of(scale)] == [
        ("start web v1", 1),
        ("wait for web health", 1),
        ("route traffic to web", 1),
        ("drain worker", old_worker),
        ("stop worker", old_worker),
    ]
    assert refused.code == 1 and "this server runs at most 64 instances per service" in refused.err
    assert cp.cli("ps", "--app", "hello", "--json").json() == before
    assert cp.cli("releases", "--app", "hello", "--json").json() == releases


def steps_of(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.startswith("       ")]


def step(line: str) -> tuple[str, int | list[str]]:
    """What a step does, and to which instances: existing ones by id, new ones by count (their
    ids are made when the plan is)."""
    what, _, ids = line.partition(": ")
    names = sorted(ids.split(", "))
    return (what, len(names)) if what.startswith(("start", "wait", "route")) else (what, names)
