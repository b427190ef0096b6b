"""pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment, and rich fixes
a console's width when COLUMNS is set as the console is made (the CLI's are made at import): the
CLI tests, which set COLUMNS themselves, would then see 80 columns whatever they set. The suite
runs as a serial run does: without them."""

import os

import pytest

for name in ("COLUMNS", "LINES"):
    os.environ.pop(name, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Each phase's report on the test item (FAILED in its stash), so a fixture's teardown can
    say more about a failure: the e2e control plane prints the end of its log."""
    report: pytest.TestReport = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


FAILED = pytest.StashKey[bool]()


def failed(request: pytest.FixtureRequest) -> bool:
    return request.node.stash.get(FAILED, False)
