"""Every error the router raises, in one tree, each saying what went wrong and what to do next.

LaunchdeckError (system/errors.py)
└── RouterError
    ├── HAProxyNotInstalled      the binary is missing: install the Debian package
    ├── InvalidRouterInput       a name, host, port or path the router will not render
    ├── UnknownBackend           an operation named a backend that was never set
    ├── UnknownServer            ... or a server that was never added
    ├── ConfigInvalid            `haproxy -c` rejected the rendered file (nothing was changed)
    ├── StartFailed              HAProxy would not start (port taken, bad socket path, ...)
    ├── ReloadFailed             the master did not come back with a new worker
    ├── NotRunning               a runtime query while no HAProxy runs for this root
    └── RuntimeApiError          the runtime API answered with an error
        ├── ApiUnavailable       nothing answers on the socket
        ├── NoSuchBackend
        └── NoSuchServer
"""

from __future__ import annotations

from launchdeck.system.errors import LaunchdeckError

INSTALL_HINT = "haproxy not found: install it with apt-get install haproxy (or run make setup)"


class RouterError(LaunchdeckError):
    pass


class HAProxyNotInstalled(RouterError):
    def __init__(self, binary: str = "haproxy") -> None:
        self.binary = binary
        where = "" if binary == "haproxy" else f" (looked for {binary!r})"
        super().__init__(INSTALL_HINT + where)


class InvalidRouterInput(RouterError, ValueError):
    pass


# LaunchdeckError.__str__ comes before KeyError's in the MRO: these messages are not quoted.
class UnknownBackend(RouterError, KeyError):
    def __init__(self, backend: str) -> None:
        self.backend = backend
        super().__init__(f"backend {backend!r} is not routed: call set_backend() first")


class UnknownServer(RouterError, KeyError):
    def __init__(self, backend: str, server: str) -> None:
        self.backend = backend
        self.server = server
        super().__init__(
            f"server {server!r} is not in backend {backend!r}: call add_server() first"
        )


class ConfigInvalid(RouterError):
    def __init__(self, output: str) -> None:
        self.output = output
        super().__init__(
            "haproxy rejected the rendered config; the running HAProxy and the previous "
            f"config file were left untouched:\n{output}"
        )


class StartFailed(RouterError):
    pass


class ReloadFailed(RouterError):
    pass


class NotRunning(RouterError):
    pass


class RuntimeApiError(RouterError):
    def __init__(self, command: str, reply: str) -> None:
        self.command = command
        self.reply = reply.strip()
        super().__init__(f"haproxy runtime API: `{command}` failed: {self.reply}")


class ApiUnavailable(RuntimeApiError):
    pass


class NoSuchBackend(RuntimeApiError):
    pass


class NoSuchServer(RuntimeApiError):
    pass
