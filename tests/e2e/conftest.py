from collections.abc import Iterator

import pytest

from tests.conftest import failed
from tests.harness import ControlPlane, make_control_plane
from tests.webhooks import Webhooks


@pytest.fixture
def cp(tmp_path, request) -> ControlPlane:
    plane = make_control_plane(tmp_path)
    plane.start()
    try:
        yield plane
    finally:
        if failed(request):  # what the control plane logged, before its home is removed
            print(plane.log_tail())
        plane.stop_everything()


@pytest.fixture
def hooks() -> Iterator[Webhooks]:
    """A local fake of the [notify] webhooks (tests/webhooks.py)."""
    webhooks = Webhooks()
    yield webhooks
    webhooks.close()
