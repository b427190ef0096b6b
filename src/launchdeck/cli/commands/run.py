"""`launchdeck run -- COMMAND`: a one-off run of the environment's current release, attached to
this terminal (a pseudo-terminal over a WebSocket when stdin is a terminal, so `python manage.py
shell` works; pipes otherwise), its exit code passed through; or `--detach`ed, its logs kept
under its id (`launchdeck logs --service run`)."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import sys
import termios
import threading
import tty
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import typer
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from launchdeck.cli.client import CliError
from launchdeck.cli.common import AppOpt, EnvOpt, client, env_path
from launchdeck.cli.output import console

Detach = Annotated[bool, typer.Option("--detach", "-d", help="Run in the background.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Confirm a run in production.")]


def run(
    command: Annotated[list[str], typer.Argument(help="The command (after --).")],
    app_name: AppOpt = None,
    env: EnvOpt = "staging",
    detach: Detach = False,
    yes: Yes = False,
) -> None:
    """Run a one-off command in the environment's current release: its build, config, secrets
    and add-ons (DATABASE_URL, ...), as its own account. Exits with the command's exit code."""
    line = command[0] if len(command) == 1 else shlex.join(command)
    terminal = sys.stdin.isatty() and sys.stdout.isatty() and not detach
    body = {"command": line, "detach": detach, "tty": terminal, "yes": yes}
    started = client().request("POST", f"{env_path(app_name, env)}/runs", json=body)
    if detach:
        console.print(
            f"-----> {started['id']} started ({started['release']}): {started['command']}"
        )
        console.print(f"       logs: launchdeck logs --service run --app {started['app']} "
                      f"--env {started['env']} --grep ...; see it with launchdeck ps")  # fmt: skip
        return
    raise typer.Exit(attach(started["attach"], terminal=terminal))


def attach(path: str, *, terminal: bool) -> int:
    endpoint = client().endpoint
    rows, cols = _size()
    url = _ws_url(endpoint.url, f"{path}&rows={rows}&cols={cols}")
    try:
        ws = connect(url, max_size=None, open_timeout=10)
    except (InvalidStatus, OSError) as exc:
        raise CliError(f"could not attach to the run: {exc}", "retry: launchdeck run ...") from None
    with ws:
        return (_Terminal if terminal else _Pipes)(ws).relay()


class _Pipes:
    """Stdin to the run until EOF; its output to stdout; Ctrl-C sends it SIGINT."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def relay(self) -> int:
        threading.Thread(target=self._stdin, daemon=True).start()
        while True:
            try:
                return self._output()
            except KeyboardInterrupt:
                with contextlib.suppress(ConnectionClosed):
                    self.ws.send(json.dumps({"signal": "INT"}))

    def _stdin(self) -> None:
        with contextlib.suppress(ConnectionClosed, OSError, ValueError):
            while data := os.read(sys.stdin.fileno(), 65536):
                self.ws.send(data)
            self.ws.send(json.dumps({"eof": True}))

    def _output(self) -> int:
        out = sys.stdout.buffer
        try:
            for message in self.ws:
                if isinstance(message, bytes):
                    out.write(message)
                    out.flush()
                else:
                    return _exit_of(json.loads(message))
        except ConnectionClosed:
            pass
        raise CliError("the connection to the run was lost", "see launchdeck ps and logs")


class _Terminal(_Pipes):
    """This terminal in raw mode, so keys (Ctrl-C included) go to the run's terminal as typed."""

    def relay(self) -> int:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        previous = signal.signal(signal.SIGWINCH, self._resized)
        try:
            tty.setraw(fd)
            threading.Thread(target=self._stdin, daemon=True).start()
            return self._output()
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
            signal.signal(signal.SIGWINCH, previous)

    def _resized(self, _signum: int, _frame: Any) -> None:
        with contextlib.suppress(ConnectionClosed):
            self.ws.send(json.dumps({"resize": list(_size())}))


def _exit_of(final: Any) -> int:
    code = final.get("exit") if isinstance(final, dict) else None
    return int(code) if isinstance(code, int) else 1


def _size() -> tuple[int, int]:
    size = shutil.get_terminal_size((80, 24))
    return size.lines, size.columns


def _ws_url(api: str, path: str) -> str:
    parts = urlsplit(api)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + path.split("?")[0],
                       path.split("?", 1)[1], ""))  # fmt: skip
