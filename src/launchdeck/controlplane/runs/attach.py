"""Attaching to a one-off run, mounted at `/attach`: `WS /attach/<run id>?key=...&rows=&cols=`.

The key is the one `POST .../runs` gave the caller (it was authorized then); it is good once, for
`ATTACH_WAIT` seconds. Frames: binary both ways are the terminal's bytes (stdin in, output out);
text frames from the client are JSON `{"resize": [rows, cols]}`, `{"signal": "INT"}` or
`{"eof": true}`; the last frame from the server is `{"exit": code, "state": ...}`. A client that
goes away stops the run (SIGHUP, then SIGTERM), as a closed terminal would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from typing import Any

from fastapi import FastAPI, WebSocket
from fastapi.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from launchdeck.controlplane.errors import ApiError
from launchdeck.controlplane.ports import OneOffProcess
from launchdeck.controlplane.runs.service import Runs
from launchdeck.domain.jobs import Run, RunState

SIGNALS = {"INT": signal.SIGINT, "TERM": signal.SIGTERM, "QUIT": signal.SIGQUIT}
TAIL_BYTES = 8192


def create_attach(runs: Runs) -> FastAPI:
    attach = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @attach.websocket("/{run_id}")
    async def attached(
        ws: WebSocket, run_id: str, key: str = "", rows: int = 24, cols: int = 80
    ) -> None:
        try:
            run, proc = await run_in_threadpool(runs.attach, run_id, key, rows, cols)
        except ApiError as exc:
            await ws.close(code=4404, reason=exc.message[:120])
            return
        await ws.accept()
        await Relay(ws, proc).run(runs, run)

    return attach


class Relay:
    def __init__(self, ws: WebSocket, proc: OneOffProcess) -> None:
        self.ws, self.proc = ws, proc
        self.tail = bytearray()  # its last output, kept as the run's last lines
        self.hung_up = False

    async def run(self, runs: Runs, run: Run) -> None:
        output = asyncio.create_task(self._output())
        inputs = asyncio.create_task(self._input())
        done, _ = await asyncio.wait({output, inputs}, return_when=asyncio.FIRST_COMPLETED)
        if inputs in done:  # the client went away: so does the run
            self.hung_up = True
            self.proc.signal(signal.SIGHUP)
            await asyncio.to_thread(self.proc.stop, 5.0)
        await output
        code = _exit_code(await asyncio.to_thread(self.proc.wait))
        inputs.cancel()
        self.proc.close()
        state = RunState.STOPPED if self.hung_up else (
            RunState.SUCCEEDED if code == 0 else RunState.FAILED
        )  # fmt: skip
        lines = tuple(self.tail.decode(errors="replace").splitlines())
        ended = await asyncio.to_thread(runs.finish, run, code, state, "", lines)
        if not self.hung_up:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self.ws.send_text(json.dumps({"exit": code, "state": ended.state.value}))
                await self.ws.close()

    async def _output(self) -> None:
        while data := await asyncio.to_thread(self.proc.read):
            self.tail = (self.tail + data)[-TAIL_BYTES:]
            if not self.hung_up:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await self.ws.send_bytes(data)

    async def _input(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes"):
                self.proc.write(message["bytes"])
            elif message.get("text"):
                self._control(message["text"])

    def _control(self, text: str) -> None:
        try:
            control: Any = json.loads(text)
        except ValueError:
            return
        if not isinstance(control, dict):
            return
        if isinstance(size := control.get("resize"), list) and len(size) == 2:
            self.proc.resize(int(size[0]), int(size[1]))
        if control.get("signal") in SIGNALS:
            self.proc.signal(SIGNALS[control["signal"]])
        if control.get("eof"):
            self.proc.close_input()


def _exit_code(returncode: int) -> int:
    """As a shell reports it: a process killed by signal N exits 128 + N."""
    return 128 - returncode if returncode < 0 else returncode
