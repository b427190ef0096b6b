"""Source uploads: the gzipped tar of an app directory that `deploy` and `git push` send.

An upload comes from anyone holding a deployer token, so nothing in it is trusted:

- Python's tar filter is not enough on the Python these hosts run: on 3.11.7 `filter="data"` can
  be bypassed (CVE-2025-4517: a chain of symlinks whose resolved path passes PATH_MAX stops
  `os.path.realpath`, and a later member lands outside). So launchdeck judges every member itself,
  from names alone, before anything is written; the filter stays as a second line.
- A small gzip can declare gigabytes. Caps on the upload, on the sizes the headers declare and on
  the member count refuse it from its headers (413), before its data is written.
- Reading a body into memory and unpacking it on the event loop froze the API. The body is
  streamed to a file, and unpacking is blocking code meant for a worker thread.
"""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from launchdeck.controlplane.errors import Invalid, TooLarge

MiB = 1 << 20
UPLOAD_PREFIX = "upload-"
SOURCE_PREFIX = "src-"
# tar headers (pax records, long names) one member may bring; real ones take about 1 KiB
HEADER_BUDGET = 64 * 1024
LEAVE_OUT = (
    "deploy only the source: leave build outputs, dependencies (node_modules, .venv) and large "
    "data files out of the app directory; the build installs dependencies, and data belongs in "
    "a database or object storage"
)
REPACK = "deploy with: launchdeck deploy PATH"


@dataclass(frozen=True)
class UploadLimits:
    """How much one upload may hold. Heroku caps a compressed slug at 500 MB; a source tree,
    without its dependencies, is far smaller."""

    upload_bytes: int = 256 * MiB  # the compressed body
    unpacked_bytes: int = 1024 * MiB  # the sizes all members declare, added up
    members: int = 50_000


UPLOAD_LIMITS = UploadLimits()


# -- receiving ---------------------------------------------------------------------------------


async def receive(request: Request, tmp_root: Path, limits: UploadLimits) -> Path:
    """The request body, streamed chunk by chunk to a new 0600 file under `tmp_root`, refused
    as soon as it passes the cap. The file is removed on any failure."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.upload_bytes:
        raise _upload_too_large(limits)
    tmp_root.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=UPLOAD_PREFIX, suffix=".tar.gz", dir=tmp_root)
    path = Path(name)
    try:
        with open(fd, "wb") as out:
            received = 0
            async for chunk in request.stream():
                received += len(chunk)
                if received > limits.upload_bytes:
                    raise _upload_too_large(limits)
                out.write(chunk)  # one chunk to the page cache: too short to hand to a thread
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _upload_too_large(limits: UploadLimits) -> TooLarge:
    return TooLarge(f"the upload is over the {_mib(limits.upload_bytes)} limit", LEAVE_OUT)


# -- unpacking (blocking: run it in a worker thread) -------------------------------------------


def unpack(archive: Path, tmp_root: Path, limits: UploadLimits) -> Path:
    """`archive` unpacked into a new `src-*` directory under `tmp_root`, once every member has
    passed `check`. On any failure the directory is removed."""
    target = Path(tempfile.mkdtemp(prefix=SOURCE_PREFIX, dir=tmp_root))
    try:
        _unpack_into(target, archive, limits)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _unpack_into(target: Path, archive: Path, limits: UploadLimits) -> None:
    try:
        with gzip.open(archive) as raw:
            stream = _Budgeted(raw)
            with tarfile.open(fileobj=stream, mode="r:") as tar:
                members = _read_headers(tar, stream, limits)
                check(members)
                tar.extractall(target, members=members, filter="data")  # defence in depth
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _not_an_app_tar(_reason(exc), REPACK) from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, gzip.BadGzipFile) and str(exc).startswith("Not a gzipped file"):
        return "not a gzip file"
    return str(exc)


def _read_headers(
    tar: tarfile.TarFile, stream: _Budgeted, limits: UploadLimits
) -> list[tarfile.TarInfo]:
    """Every member's header, refusing an archive over the caps from its headers alone: a
    member's data is only read past (never written) here, and only once its size is allowed."""
    members: list[tarfile.TarInfo] = []
    declared = 0
    while (member := tar.next()) is not None:
        members.append(member)
        if len(members) > limits.members:
            raise TooLarge(
                f"the upload has more than the {limits.members} files, directories and links "
                "allowed",
                LEAVE_OUT,
            )
        if member.size < 0:
            raise _refused(member, f"declares a negative size ({member.size})", REPACK)
        declared += member.size
        if declared > limits.unpacked_bytes:
            raise TooLarge(
                f"the upload would unpack to more than the {_mib(limits.unpacked_bytes)} limit "
                f"(member {member.name!r} declares {_mib(member.size)})",
                LEAVE_OUT,
            )
        stream.limit = tar.offset + HEADER_BUDGET  # tar.offset: where the next header starts
    return members


class _Budgeted:
    """The decompressed tar stream, readable only up to `limit`. tarfile reads a pax or long-name
    header whole into memory, so one header could otherwise declare (and allocate) gigabytes."""

    def __init__(self, raw: gzip.GzipFile) -> None:
        self._raw = raw
        self.limit = HEADER_BUDGET

    def read(self, size: int = -1, /) -> bytes:
        if size < 0 or self._raw.tell() + size > self.limit:
            raise _not_an_app_tar(f"a tar header is over {HEADER_BUDGET // 1024} KiB", REPACK)
        return self._raw.read(size)

    def seek(self, pos: int, whence: int = io.SEEK_SET, /) -> int:
        if whence != io.SEEK_SET or pos > self.limit:
            raise _not_an_app_tar(f"a tar header is over {HEADER_BUDGET // 1024} KiB", REPACK)
        return self._raw.seek(pos)

    def tell(self) -> int:
        return self._raw.tell()

    def write(self, data: bytes, /) -> int:
        raise io.UnsupportedOperation("an upload is read only")

    def close(self) -> None:
        """The gzip file it reads is closed by its owner."""


# -- the member check --------------------------------------------------------------------------


def check(members: Sequence[tarfile.TarInfo]) -> None:
    """Refuse the archive unless every member is a regular file, directory or symlink that stays
    inside the tree. Judged from names alone: the filesystem is what the archive would shape, and
    `os.path.realpath` on it is what CVE-2025-4517 fooled."""
    names = [_clean_name(member) for member in members]
    links = {name for name, member in zip(names, members, strict=True) if member.issym()}
    seen: dict[str, tarfile.TarInfo] = {}
    for name, member in zip(names, members, strict=True):
        _check_kind(member, name)
        earlier = seen.setdefault(name, member)
        if earlier is not member and not (earlier.isdir() and member.isdir()):
            raise _refused(member, "appears twice in the archive", REPACK)
        if (link := _link_on_the_way(name.split("/")[:-1], links)) is not None:
            raise _refused(member, f"is inside the symlink {link!r}", REPACK)
        if member.issym():
            _check_link(member, name, links)


def _clean_name(member: tarfile.TarInfo) -> str:
    """The member's path as the kernel reads it, relative to the app directory ('' for itself)."""
    if member.name.startswith("/"):
        raise _refused(member, "has an absolute name", REPACK)
    parts = [part for part in member.name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _refused(member, "has a '..' component", REPACK)
    if not parts and not member.isdir():
        raise _refused(member, "names the app directory itself but is not a directory", REPACK)
    return "/".join(parts)


_KINDS = {
    tarfile.LNKTYPE: "a hard link",
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.FIFOTYPE: "a fifo",
    tarfile.CONTTYPE: "a contiguous file",
    tarfile.GNUTYPE_SPARSE: "a sparse file",
}


def _check_kind(member: tarfile.TarInfo, name: str) -> None:
    if member.isdir() or member.issym():
        return
    if member.type in (tarfile.REGTYPE, tarfile.AREGTYPE) and member.sparse is None:
        return
    kind = "a sparse file" if member.sparse is not None else _KINDS.get(member.type, "not a file")
    raise _refused(
        member,
        f"is {kind}; only regular files, directories and symlinks can be deployed",
        f"replace {name!r} with a regular file (or remove it), then deploy again",
    )


def _link_on_the_way(parts: list[str], links: set[str]) -> str | None:
    """The first of the directories `parts` walks through that is a symlink member, if any."""
    for depth in range(1, len(parts) + 1):
        if (prefix := "/".join(parts[:depth])) in links:
            return prefix
    return None


def _check_link(member: tarfile.TarInfo, name: str, links: set[str]) -> None:
    """A symlink's target, resolved step by step from the link's directory, must stay inside
    the tree and pass through no other symlink (whose own target would change where `..` goes)."""
    target = member.linkname
    fix = f"make {name!r} a relative link to a path inside the app directory, then deploy again"
    if not target or target.startswith("/"):
        raise _refused(member, f"is a symlink to {target!r}, which is not a relative path", fix)
    walked = name.split("/")[:-1]
    steps = [step for step in target.split("/") if step not in ("", ".")]
    for index, step in enumerate(steps):
        if step != "..":
            walked.append(step)
            last = index == len(steps) - 1
            if not last and (through := "/".join(walked)) in links:
                raise _refused(member, f"is a symlink through the symlink {through!r}", fix)
        elif walked:
            walked.pop()
        else:
            raise _refused(member, f"is a symlink to {target!r}, outside the app directory", fix)


# -- errors and sizes --------------------------------------------------------------------------


def _refused(member: tarfile.TarInfo, why: str, fix: str) -> Invalid:
    return _not_an_app_tar(f"member {member.name!r} {why}", fix)


def _not_an_app_tar(reason: str, fix: str) -> Invalid:
    return Invalid(f"the upload is not a gzipped tar of an app directory ({reason})", fix)


def _mib(size: int) -> str:
    return f"{size / MiB:g} MiB"


# -- leftovers ---------------------------------------------------------------------------------


def sweep(tmp_root: Path) -> None:
    """Remove the upload files and `src-*` directories a crashed run left in `tmp_root`. Call it
    at start, before the API serves: a live request's files look the same."""
    if not tmp_root.is_dir():
        return
    for path in tmp_root.iterdir():
        if path.is_symlink():
            continue
        if path.name.startswith(UPLOAD_PREFIX) and path.is_file():
            path.unlink(missing_ok=True)
        elif path.name.startswith(SOURCE_PREFIX) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
