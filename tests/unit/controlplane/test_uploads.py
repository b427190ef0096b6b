"""Source uploads: streamed under a cap, judged member by member before anything is written,
unpacked off the event loop. The malicious archives are built here, the way an attacker would."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import stat
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.requests import ClientDisconnect, Request

import launchdeck.controlplane.http.routes.deploys as api_module
from launchdeck.controlplane.errors import ApiError, Invalid, TooLarge
from launchdeck.controlplane.http import create_api
from launchdeck.controlplane.uploads import (
    LEAVE_OUT,
    MiB,
    UploadLimits,
    receive,
    sweep,
    unpack,
)
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane, tarball

NOT_AN_APP_TAR = "the upload is not a gzipped tar of an app directory"
REPACK = "deploy with: launchdeck deploy PATH"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- building archives ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    name: str
    type: bytes = tarfile.REGTYPE
    content: bytes = b""
    link: str = ""
    size: int | None = None  # declared size, when the data is made of zeros (a bomb)


def file(name: str, content: str = "x") -> Entry:
    return Entry(name, content=content.encode())


def directory(name: str) -> Entry:
    return Entry(name, tarfile.DIRTYPE)


def symlink(name: str, to: str) -> Entry:
    return Entry(name, tarfile.SYMTYPE, link=to)


def hardlink(name: str, to: str) -> Entry:
    return Entry(name, tarfile.LNKTYPE, link=to)


def zeros(name: str, size: int) -> Entry:
    return Entry(name, size=size)


class Zeros:
    """`size` zero bytes, read in chunks: a bomb's data without holding it in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int) -> bytes:
        n = min(n, self.left)
        self.left -= n
        return bytes(n)


def write_archive(path: Path, entries: list[Entry]) -> Path:
    with tarfile.open(path, mode="w:gz") as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.type = entry.type
            info.linkname = entry.link
            info.mode = 0o755 if entry.type == tarfile.DIRTYPE else 0o644
            data: Any = None
            if entry.type == tarfile.REGTYPE:
                info.size = entry.size if entry.size is not None else len(entry.content)
                data = Zeros(info.size) if entry.size is not None else io.BytesIO(entry.content)
            tar.addfile(info, data)
    return path


def cve_2025_4517_chain(target_len: int, *, hardlink_flag: bool) -> list[Entry]:
    """The shape of CPython's own regression test for CVE-2025-4517: directories with names so
    long that, once the symlinks a..p are expanded, the path passes PATH_MAX, so
    `os.path.realpath` stops resolving and tarfile's filter passes what follows. `escape` then
    points at the parent of the target directory, and members are written through it."""
    steps = "abcdefghijklmnop"
    path_max = os.pathconf("/", "PC_PATH_MAX")
    component = "d" * ((path_max - target_len - 1) // (len(steps) + 1))
    entries: list[Entry] = []
    path = ""
    for step in steps:
        entries.append(directory(os.path.join(path, component)))
        entries.append(symlink(os.path.join(path, step), component))
        path = os.path.join(path, component)
    long_link = os.path.join(*steps, "l" * 254)
    entries.append(symlink(long_link, os.path.join(*[".."] * len(steps))))
    entries.append(symlink("escape", os.path.join(long_link, "..")))
    if hardlink_flag:
        entries.append(hardlink("flaglink", "escape/flag"))
        entries.append(file("flaglink", "overwrite"))
    entries.append(file("escape/newfile", "new"))
    return entries


@dataclass
class Home:
    """A stand-in for $LAUNCHDECK_HOME: uploads unpack under `tmp`; anything else is outside."""

    root: Path

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def target_len(self) -> int:
        return len(str(self.tmp / "src-12345678"))  # tempfile.mkdtemp adds 8 characters

    def snapshot(self) -> dict[str, str]:
        """Every path under the home with what it holds, without following symlinks."""
        seen: dict[str, str] = {}
        for top, dirs, files in os.walk(self.root):
            for name in dirs + files:
                path = Path(top) / name
                rel = str(path.relative_to(self.root))
                if path.is_symlink():
                    seen[rel] = f"-> {os.readlink(path)}"
                elif path.is_file():
                    seen[rel] = path.read_text(errors="replace")
                else:
                    seen[rel] = "dir"
        return seen


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.tmp.mkdir(parents=True)
    (home.root / "api.json").write_text("owner token")
    (home.tmp / "flag").write_text("the daemon's own file")
    return home


@pytest.fixture(scope="session")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """520 MiB of declared data in about 0.5 MiB: a real app file, 120 MiB of zeros (under the
    128 MiB cap the tests set: skipping past it keeps the unpacking thread busy for a while),
    then 400 MiB more that takes the total over the cap."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.tar.gz"
    entries = [file("Procfile", "web: serve\n"), zeros("data/a", 120 * MiB)]
    return write_archive(path, [*entries, zeros("data/b", 400 * MiB)])


BOMB_LIMITS = UploadLimits(upload_bytes=1 * MiB, unpacked_bytes=128 * MiB)


def refused(home: Home, archive: Path, limits: UploadLimits = UploadLimits()) -> ApiError:
    """The error unpacking `archive` gives, having checked nothing changed in the home."""
    before = home.snapshot()
    with pytest.raises(ApiError) as caught:
        unpack(archive, home.tmp, limits)
    assert home.snapshot() == before
    return caught.value


# -- a good archive ------------------------------------------------------------------------


def test_a_good_archive_unpacks_with_its_directories_and_inner_symlinks(
    home: Home, tmp_path: Path
) -> None:
    archive = write_archive(
        tmp_path / "app.tar.gz",
        [
            directory("."),
            file("./Procfile", "web: serve\n"),
            directory("app"),
            file("app/main.py", "print(1)\n"),
            symlink("app/alias.py", "main.py"),
            symlink("current", "app"),
            symlink("app/up", ".."),
        ],
    )

    source = unpack(archive, home.tmp, UploadLimits())

    assert source.parent == home.tmp
    assert source.name.startswith("src-")
    assert (source / "Procfile").read_text() == "web: serve\n"
    assert (source / "current" / "alias.py").read_text() == "print(1)\n"
    assert os.readlink(source / "app" / "up") == ".."
    assert sorted(p.name for p in home.tmp.iterdir()) == ["flag", source.name]


# -- refusals: 422 naming the member and why -----------------------------------------------


@pytest.mark.parametrize(
    ("entries", "reason", "fix"),
    [
        ([file("../x")], "member '../x' has a '..' component", REPACK),
        ([file("app/../../x")], "member 'app/../../x' has a '..' component", REPACK),
        ([file("/etc/x")], "member '/etc/x' has an absolute name", REPACK),
        (
            [symlink("etc", "../../etc")],
            "member 'etc' is a symlink to '../../etc', outside the app directory",
            "make 'etc' a relative link to a path inside the app directory, then deploy again",
        ),
        (
            [directory("app"), symlink("app/etc", "../../etc")],
            "member 'app/etc' is a symlink to '../../etc', outside the app directory",
            "make 'app/etc' a relative link to a path inside the app directory, then deploy again",
        ),
        (
            [symlink("etc", "/etc")],
            "member 'etc' is a symlink to '/etc', which is not a relative path",
            "make 'etc' a relative link to a path inside the app directory, then deploy again",
        ),
        (
            [symlink("lib", "."), file("lib/x")],
            "member 'lib/x' is inside the symlink 'lib'",
            REPACK,
        ),
        (  # the order does not matter: the link may come after what it would carry
            [file("lib/x"), symlink("lib", ".")],
            "member 'lib/x' is inside the symlink 'lib'",
            REPACK,
        ),
        (
            [directory("sub/deep"), symlink("s", "sub/deep"), symlink("out", "s/../..")],
            "member 'out' is a symlink through the symlink 's'",
            "make 'out' a relative link to a path inside the app directory, then deploy again",
        ),
        (
            [file("x"), symlink("x", "Procfile")],
            "member 'x' appears twice in the archive",
            REPACK,
        ),
        (
            [hardlink("h", "Procfile")],
            "member 'h' is a hard link; only regular files, directories and symlinks can be "
            "deployed",
            "replace 'h' with a regular file (or remove it), then deploy again",
        ),
        (
            [Entry("pipe", tarfile.FIFOTYPE)],
            "member 'pipe' is a fifo; only regular files, directories and symlinks can be deployed",
            "replace 'pipe' with a regular file (or remove it), then deploy again",
        ),
        (
            [Entry("null", tarfile.CHRTYPE)],
            "member 'null' is a character device; only regular files, directories and symlinks "
            "can be deployed",
            "replace 'null' with a regular file (or remove it), then deploy again",
        ),
        (
            [file("."), file("x")],
            "member '.' names the app directory itself but is not a directory",
            REPACK,
        ),
    ],
)
def test_a_member_that_could_reach_outside_is_refused_before_anything_is_written(
    home: Home, tmp_path: Path, entries: list[Entry], reason: str, fix: str
) -> None:
    archive = write_archive(tmp_path / "evil.tar.gz", [file("Procfile"), *entries])

    error = refused(home, archive)

    assert isinstance(error, Invalid)
    assert (error.status, error.message, error.fix) == (422, f"{NOT_AN_APP_TAR} ({reason})", fix)


@pytest.mark.parametrize("hardlink_flag", [False, True], ids=["new-file", "hardlink-overwrite"])
def test_the_cve_2025_4517_symlink_chain_is_refused_and_writes_nothing(
    home: Home, tmp_path: Path, hardlink_flag: bool
) -> None:
    chain = cve_2025_4517_chain(home.target_len(), hardlink_flag=hardlink_flag)
    archive = write_archive(tmp_path / "cve.tar.gz", chain)

    error = refused(home, archive)  # the snapshot check: no newfile, flag unchanged

    assert isinstance(error, Invalid)
    long_link = "/".join([*"abcdefghijklmnop", "l" * 254])
    assert error.message == f"{NOT_AN_APP_TAR} (member {long_link!r} is inside the symlink 'a')"
    assert os.listdir(home.tmp) == ["flag"]


def test_the_cve_2025_4517_chain_does_escape_tarfiles_own_filter_on_this_python(
    tmp_path: Path,
) -> None:
    """Proof that the test above tests something: tarfile alone lets the chain out here."""
    outer = tmp_path / "outer"
    dest = outer / "src-12345678"
    dest.mkdir(parents=True)
    chain = cve_2025_4517_chain(len(str(dest)), hardlink_flag=False)
    archive = write_archive(tmp_path / "cve.tar.gz", chain)
    with tarfile.open(archive) as tar:
        try:
            tar.extractall(dest, filter="data")
        except (OSError, tarfile.TarError, KeyError):
            pytest.skip("this Python has the CVE-2025-4517 fix (3.11.13 and later)")
    assert (outer / "newfile").read_text() == "new"


def test_a_header_bigger_than_the_header_budget_is_refused_without_reading_it_into_memory(
    home: Home, tmp_path: Path
) -> None:
    path = tmp_path / "pax.tar.gz"
    with tarfile.open(path, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("Procfile")
        info.pax_headers = {"comment": "x" * (256 * 1024)}
        tar.addfile(info, io.BytesIO(b""))

    error = refused(home, path)

    assert isinstance(error, Invalid)
    assert error.message == f"{NOT_AN_APP_TAR} (a tar header is over 64 KiB)"


def test_a_file_that_is_not_a_gzip_tar_is_refused(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "junk.tar.gz"
    path.write_bytes(b"this is not a tarball")

    error = refused(home, path)

    assert (error.status, error.message) == (422, f"{NOT_AN_APP_TAR} (not a gzip file)")


# -- caps: 413 naming the cap --------------------------------------------------------------


def test_too_many_members_is_413_naming_the_cap(home: Home, tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "many.tar.gz", [file(f"f{i}") for i in range(4)])

    error = refused(home, archive, UploadLimits(members=3))

    assert isinstance(error, TooLarge)
    assert (error.status, error.message, error.fix) == (
        413,
        "the upload has more than the 3 files, directories and links allowed",
        LEAVE_OUT,
    )


def test_a_decompression_bomb_is_413_and_no_file_over_the_cap_is_ever_created(
    home: Home, bomb: Path
) -> None:
    largest = LargestFileWatcher(home.root)
    with largest:
        error = refused(home, bomb, BOMB_LIMITS)

    assert isinstance(error, TooLarge)
    assert (error.status, error.message, error.fix) == (
        413,
        "the upload would unpack to more than the 128 MiB limit (member 'data/b' declares 400 MiB)",
        LEAVE_OUT,
    )
    assert largest.size < BOMB_LIMITS.unpacked_bytes
    assert bomb.stat().st_size < 1 * MiB


def test_a_bomb_is_refused_from_its_header_before_its_data_is_read(
    home: Home, tmp_path: Path
) -> None:
    """The archive ends right after the header: reading the data would fail another way."""
    info = tarfile.TarInfo("huge")
    info.size = 400 * MiB
    path = tmp_path / "header-only.tar.gz"
    path.write_bytes(gzip.compress(info.tobuf(tarfile.PAX_FORMAT)))

    error = refused(home, path, UploadLimits(unpacked_bytes=128 * MiB))

    assert isinstance(error, TooLarge)
    assert error.message.startswith("the upload would unpack to more than the 128 MiB limit")


class LargestFileWatcher:
    """Polls a tree in a thread while the block runs, keeping the largest file size seen."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.size = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LargestFileWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            for top, _, files in os.walk(self.root):
                for name in files:
                    with contextlib.suppress(OSError):  # removed meanwhile
                        self.size = max(self.size, os.lstat(os.path.join(top, name)).st_size)


# -- receiving -----------------------------------------------------------------------------


class Body:
    """An ASGI `receive` giving `count` chunks, remembering how many were taken; ends with a
    disconnect instead when `disconnect` is set."""

    def __init__(self, chunk: bytes, count: int, *, disconnect: bool = False) -> None:
        self.chunk, self.count, self.disconnect = chunk, count, disconnect
        self.taken = 0

    async def __call__(self) -> dict[str, Any]:
        if self.taken == self.count and self.disconnect:
            return {"type": "http.disconnect"}
        self.taken += 1
        more = self.taken < self.count or self.disconnect
        return {"type": "http.request", "body": self.chunk, "more_body": more}


def post(body: Body, headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": raw}
    return Request(scope, receive=body)


@pytest.mark.anyio
async def test_receive_streams_the_body_to_a_private_file(home: Home) -> None:
    body = Body(b"abc" * 1000, 5)

    path = await receive(post(body), home.tmp, UploadLimits())

    assert path.parent == home.tmp
    assert path.read_bytes() == b"abc" * 5000
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.anyio
async def test_receive_stops_reading_as_soon_as_the_body_passes_the_cap(home: Home) -> None:
    body = Body(bytes(64 * 1024), 160)  # 10 MiB, chunked: no Content-Length to go by

    with pytest.raises(TooLarge) as caught:
        await receive(post(body), home.tmp, UploadLimits(upload_bytes=1 * MiB))

    assert (caught.value.message, caught.value.fix) == (
        "the upload is over the 1 MiB limit",
        LEAVE_OUT,
    )
    assert body.taken == 17  # 16 chunks fill the cap; the 17th passes it
    assert os.listdir(home.tmp) == ["flag"]


@pytest.mark.anyio
async def test_receive_refuses_a_content_length_over_the_cap_before_reading(home: Home) -> None:
    body = Body(b"x", 1)

    with pytest.raises(TooLarge, match="the upload is over the 1 MiB limit"):
        await receive(post(body, {"Content-Length": str(MiB + 1)}), home.tmp, UploadLimits(MiB))

    assert body.taken == 0
    assert os.listdir(home.tmp) == ["flag"]


@pytest.mark.anyio
async def test_receive_removes_the_partial_file_when_the_client_goes_away(home: Home) -> None:
    body = Body(b"x" * 1000, 3, disconnect=True)

    with pytest.raises(ClientDisconnect):
        await receive(post(body), home.tmp, UploadLimits())

    assert os.listdir(home.tmp) == ["flag"]


# -- sweeping ------------------------------------------------------------------------------


def test_sweep_removes_what_a_crashed_run_left_and_nothing_else(home: Home) -> None:
    (home.tmp / "upload-abcd1234.tar.gz").write_bytes(b"partial")
    (home.tmp / "src-abcd1234" / "app").mkdir(parents=True)
    (home.tmp / "src-abcd1234" / "app" / "main.py").write_text("print(1)\n")
    (home.tmp / "src-link").symlink_to(home.root)
    (home.tmp / "shop.dump").write_text("a database copy in progress")
    (home.tmp / "build-1").mkdir()

    sweep(home.tmp)

    assert sorted(os.listdir(home.tmp)) == ["build-1", "flag", "shop.dump", "src-link"]
    assert (home.root / "api.json").exists()


def test_sweep_without_a_tmp_directory_does_nothing(tmp_path: Path) -> None:
    sweep(tmp_path / "missing")

    assert not (tmp_path / "missing").exists()


# -- through the API -----------------------------------------------------------------------


class StatusPlane(FakeControlPlane):
    def server_status(self) -> dict[str, Any]:
        return {"home": str(self.home), "api_url": "http://x", "http_port": 1,
                "router": {"running": True, "pid": 1}, "apps": 0, "instances": 0,
                "resource_limits": "-", "isolation": "-"}  # fmt: skip


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StatusPlane]:
    monkeypatch.setattr(api_module, "UPLOAD_LIMITS", BOMB_LIMITS)
    plane = StatusPlane(tmp_path / "home")
    yield plane
    plane.store.close()


def leftovers(plane: FakeControlPlane) -> list[str]:
    tmp = plane.home / "tmp"
    return os.listdir(tmp) if tmp.exists() else []


def test_an_oversize_upload_is_413_naming_the_cap(plane: StatusPlane) -> None:
    client = TestClient(create_api(plane, TOKEN))  # type: ignore[arg-type]
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    response = client.post(
        "/v1/apps/shop/envs/staging/deploys", content=bytes(MiB + 1), headers=AUTH
    )

    assert response.status_code == 413
    assert response.json() == {"error": "the upload is over the 1 MiB limit", "fix": LEAVE_OUT}
    assert leftovers(plane) == []
    assert plane.deployments.deploys == []


def test_a_pushed_upload_with_a_link_out_is_422_and_leaves_nothing(plane: StatusPlane) -> None:
    client = TestClient(create_api(plane, TOKEN))  # type: ignore[arg-type]
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("etc")
        info.type, info.linkname = tarfile.SYMTYPE, "../../../etc"
        tar.addfile(info)

    response = client.post(
        "/v1/apps/shop/pushes", params={"branch": "main"}, content=buf.getvalue(), headers=AUTH
    )

    assert response.status_code == 422
    assert response.json()["error"] == (
        f"{NOT_AN_APP_TAR} (member 'etc' is a symlink to '../../../etc', outside the app directory)"
    )
    assert leftovers(plane) == []


def test_a_good_upload_still_deploys_under_the_caps(plane: StatusPlane) -> None:
    client = TestClient(create_api(plane, TOKEN))  # type: ignore[arg-type]
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    body = tarball({"Procfile": "web: serve\n", "app/main.py": "print(1)\n"})

    response = client.post("/v1/apps/shop/envs/staging/deploys", content=body, headers=AUTH)

    assert response.status_code == 202
    [call] = plane.deployments.deploys
    assert call.files == ["Procfile", "app", "app/main.py"]
    assert leftovers(plane) == [call.source.name]  # the deploy removes it once built


@pytest.mark.anyio
async def test_the_api_answers_other_requests_quickly_while_refusing_a_bomb(
    plane: StatusPlane, bomb: Path
) -> None:
    app = create_api(plane, TOKEN)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    latencies: list[float] = []
    done = anyio.Event()
    async with httpx.AsyncClient(transport=transport, base_url="http://ld") as client:
        await client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
        await client.get("/v1/status", headers=AUTH)  # warm up the thread pool

        async def probe() -> None:
            while not done.is_set():
                start = time.perf_counter()
                response = await client.get("/v1/status", headers=AUTH)
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 200

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(probe)
            await anyio.sleep(0.01)
            posted = time.perf_counter()
            response = await client.post(
                "/v1/apps/shop/envs/staging/deploys", content=bomb.read_bytes(), headers=AUTH
            )
            refusing = time.perf_counter() - posted
            done.set()

    assert response.status_code == 413
    assert response.json()["error"] == (
        "the upload would unpack to more than the 128 MiB limit (member 'data/b' declares 400 MiB)"
    )
    assert len(latencies) >= 5, "the bomb was refused too fast to measure anything"
    # an unpack on the event loop holds every other request for (nearly) all of it; one in a
    # worker thread leaves them their usual latency: under 100 ms, bar a noisy neighbour's spike
    ordered = sorted(latencies)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    assert p90 < 0.1, f"requests took {p90:.3f}s (90th percentile) while the bomb was checked"
    assert max(latencies) < refusing / 2, (
        f"the API stalled {max(latencies):.3f}s of {refusing:.3f}s"
    )
    assert leftovers(plane) == []
