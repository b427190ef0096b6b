from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest

from launchdeck.drivers.local.ports import PortAllocator, PortsExhausted, is_free


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def base() -> int:
    """The first of 4 consecutive loopback ports that are free right now."""
    for start in range(41000, 61000, 97):
        if all(_bindable(p) for p in range(start, start + 4)):
            return start
    pytest.skip("no block of 4 free loopback ports")


@contextlib.contextmanager
def occupied(port: int) -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield sock


def test_is_free_tells_a_bound_port_from_a_free_one(base: int) -> None:
    assert is_free(base)
    with occupied(base):
        assert not is_free(base)
    assert is_free(base)


def test_allocates_from_the_start_of_the_range_moving_on_each_time(base: int) -> None:
    ports = PortAllocator(base, base + 3)

    assert [ports.allocate(set()) for _ in range(3)] == [base, base + 1, base + 2]


def test_skips_ports_the_caller_says_are_in_use(base: int) -> None:
    ports = PortAllocator(base, base + 3)

    assert ports.allocate({base, base + 1}) == base + 2


def test_skips_ports_something_else_has_bound(base: int) -> None:
    ports = PortAllocator(base, base + 3)

    with occupied(base), occupied(base + 1):
        assert ports.allocate(set()) == base + 2


def test_wraps_around_to_the_start_of_the_range(base: int) -> None:
    ports = PortAllocator(base, base + 2)

    assert [ports.allocate(set()) for _ in range(5)] == [
        base,
        base + 1,
        base + 2,
        base,
        base + 1,
    ]


def test_wraps_around_past_busy_ports_at_the_end(base: int) -> None:
    ports = PortAllocator(base, base + 3)
    assert ports.allocate(set()) == base
    assert ports.allocate(set()) == base + 1

    with occupied(base + 3):
        assert ports.allocate({base + 2}) == base


def test_a_range_of_one_port(base: int) -> None:
    ports = PortAllocator(base, base)

    assert ports.allocate(set()) == base
    assert ports.allocate(set()) == base


def test_exhausted_says_what_to_do(base: int) -> None:
    ports = PortAllocator(base, base + 2)

    with occupied(base + 1), pytest.raises(PortsExhausted) as err:
        ports.allocate({base, base + 2})

    assert str(err.value) == (
        f"no free port in {base}-{base + 2}; "
        "fix: widen LAUNCHDECK_PORT_RANGE or stop some instances"
    )
    assert err.value.fix == "widen LAUNCHDECK_PORT_RANGE or stop some instances"


def test_a_freed_port_is_found_again_after_exhaustion(base: int) -> None:
    ports = PortAllocator(base, base + 1)
    with pytest.raises(PortsExhausted):
        ports.allocate({base, base + 1})

    assert ports.allocate({base}) == base + 1
