"""Instance ports, allocated from a range and checked free on the loopback interface."""

from __future__ import annotations

import socket
from collections.abc import Collection

from launchdeck.system import LaunchdeckError


class PortsExhausted(LaunchdeckError):
    pass


class PortAllocator:
    def __init__(self, first: int, last: int) -> None:
        self.first, self.last = first, last
        self._next = first

    def allocate(self, in_use: Collection[int]) -> int:
        span = self.last - self.first + 1
        for _ in range(span):
            port = self._next
            self._next = self.first + (self._next - self.first + 1) % span
            if port not in in_use and is_free(port):
                return port
        raise PortsExhausted(
            f"no free port in {self.first}-{self.last}",
            "widen LAUNCHDECK_PORT_RANGE or stop some instances",
        )


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
