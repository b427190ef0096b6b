"""The control-plane process: `python -m launchdeck.controlplane.daemon` (what `server start`
runs in its own session), and the helpers `server start|stop|status` use to find it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from launchdeck.controlplane.access.owner import Credentials, OwnerToken
from launchdeck.controlplane.http import create_api
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.controlplane.settings import Settings
from launchdeck.system import FileLock, LaunchdeckError, atomic_write

log = logging.getLogger("launchdeck")


class _Server(uvicorn.Server):
    """uvicorn re-raises the signal it caught after shutting down, which would kill us before
    our own cleanup; we handle the signals ourselves instead. Its main loop wakes ten times a
    second to refresh the Date header and look for `should_exit`; ours once a second (the
    header has second precision) and at once when `exit_soon` asks: an idle control plane
    stays idle."""

    TICK = 1.0  # seconds

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        self._exiting = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0  # on_tick refreshes the Date header when counter % 10 == 0: every tick here
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exiting.wait(), self.TICK)

    def exit_soon(self) -> None:
        """Shut down now (safe from a signal handler)."""
        self.should_exit = True
        loop = getattr(self, "_loop", None)
        if loop is not None:
            loop.call_soon_threadsafe(self._exiting.set)


def load_or_create_token(path: Path) -> str:
    try:
        token = str(json.loads(path.read_text())["token"])
        if token:
            return token
    except (OSError, ValueError, KeyError):
        pass
    return secrets.token_urlsafe(32)


def credentials(settings: Settings) -> Credentials:
    return Credentials(settings.credentials, settings.api_url)


def write_credentials(settings: Settings, token: str) -> None:
    credentials(settings).write(token)


PRIVATE = 0o077  # umask: nothing under the home grants the group or others anything


def tighten_tree(root: Path) -> list[Path]:
    """Take the group and other bits (and setuid, setgid, sticky) off every directory and
    regular file under `root`; return what changed. Symlinks are not followed (fwalk opens a
    directory only if it is the one listed, a file is opened with O_NOFOLLOW), sockets, FIFOs
    and devices are left alone, and what cannot be changed is logged and skipped."""
    changed: list[Path] = []
    for top, _dirs, files, top_fd in os.fwalk(root, follow_symlinks=False):
        if _tighten(top_fd, Path(top)):
            changed.append(Path(top))
        for name in files:
            if not _loose_file(name, top_fd):
                continue
            try:
                fd = os.open(name, _NOFOLLOW, dir_fd=top_fd)
            except OSError:  # swapped for a symlink (ELOOP) or a socket (ENXIO), or gone
                continue
            try:
                if _tighten(fd, Path(top) / name):
                    changed.append(Path(top) / name)
            finally:
                os.close(fd)
    if changed:
        log.info("made %d paths under %s private (0700/0600)", len(changed), root)
    return changed


_NOFOLLOW = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _loose_file(name: str, dir_fd: int) -> bool:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and bool(stat.S_IMODE(st.st_mode) & ~0o700)


def _tighten(fd: int, path: Path) -> bool:
    """Keep only the owner bits of an open directory or regular file; True if that changed it."""
    mode = os.fstat(fd).st_mode
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)) or not stat.S_IMODE(mode) & ~0o700:
        return False
    try:
        os.fchmod(fd, stat.S_IMODE(mode) & 0o700)
    except OSError as exc:  # another account's file, under a daemon that is not root
        log.warning("cannot make %s private: %s", path, exc)
        return False
    return True


def serve(settings: Settings) -> int:
    os.umask(PRIVATE)  # before anything is created: the database, its WAL, logs, builds
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = FileLock(settings.home / "server.lock")
    if not lock.acquire(blocking=False):
        print(f"launchdeck: a control plane already runs for {settings.home}", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    tighten_tree(settings.home)  # the home itself, and what an older launchdeck left in it
    token = load_or_create_token(settings.credentials)
    try:
        cp = ControlPlane(settings)
    except LaunchdeckError as exc:  # a store too new for us, an apps dir out of reach, ...
        print(f"launchdeck: {exc.message}\nfix: {exc.fix}", file=sys.stderr)
        lock.release()
        return 1
    cp.start()
    write_credentials(settings, token)
    owner = OwnerToken(token, credentials(settings))  # `tokens rotate-owner` replaces it
    atomic_write(settings.pidfile, f"{os.getpid()}\n", mode=0o600)
    server = _Server(
        uvicorn.Config(
            create_api(cp, owner),
            host=settings.bind,
            port=settings.api_port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
    )
    everything = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal everything
        everything = everything or signum == signal.SIGUSR1  # `server stop --all`
        server.exit_soon()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        signal.signal(signum, request_stop)
    signal.signal(signal.SIGCHLD, lambda *_: cp.reconciler.wake())  # an instance may have died
    try:
        server.run()
    finally:
        cp.shutdown(everything=everything)
        settings.pidfile.unlink(missing_ok=True)
        lock.release()
        log.info("control plane stopped%s", " with every app and the router" if everything else "")
    return 0


def main() -> None:
    sys.exit(serve(Settings.from_environ()))


if __name__ == "__main__":
    main()
