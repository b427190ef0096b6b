import pytest

from tests.harness import ControlPlane, make_control_plane


@pytest.fixture
def cp(tmp_path) -> ControlPlane:
    plane = make_control_plane(tmp_path)
    plane.start()
    try:
        yield plane
    finally:
        plane.stop_everything()
