"""Every PostgreSQL cluster of this host, by name: the main cluster of each major version
(`15`, under `<addons>/postgres/15`) and the clusters restores made (`15/restores/<id>`, under
`<addons>/postgres/15/restores/<id>`). Each keeps its port in a `port` file and its base backups
in `backups/`; a restored one also has `restore.json`, saying what it was restored from.

A restore's directory counts as a cluster only once `restore.json` is written, after recovery
finished and the copy was checked: the reconciler never starts a half-restored cluster, and a
control plane that died mid-restore leaves nothing the next one adopts.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from launchdeck.drivers.local.addon_errors import InvalidAddonInput
from launchdeck.drivers.local.postgres.backups import Backups
from launchdeck.drivers.local.postgres.cluster import PostgresCluster, open_cluster
from launchdeck.drivers.local.postgres.config import ClusterLayout
from launchdeck.system import SYSTEM_CLOCK, Clock, Runner, atomic_write, passable_dirs
from launchdeck.system.addon_errors import AddonError

RESTORE_FILE = "restore.json"
BACKUPS_DIR = "backups"
SCRATCH = ".scratch"
SOCKET_PATH_MAX = 107  # sun_path, less its terminating NUL


@dataclass(frozen=True)
class RestoreRecord:
    id: str
    source: str  # the cluster whose backups it came from
    environment: str  # the environment key it was made for (`<app>_<env>`)
    backup: str  # the base backup it started from
    target_time: float | None  # None: the end of that backup
    created_at: float


def check_socket_path(socket_dir: Path) -> None:
    longest = socket_dir / ".s.PGSQL.65535"
    if len(str(longest)) > SOCKET_PATH_MAX:
        raise InvalidAddonInput(
            f"{socket_dir} is too deep for a PostgreSQL socket (paths end at "
            f"{SOCKET_PATH_MAX} bytes)",
            "set LAUNCHDECK_ADDONS_DIR to a shorter directory",
        )


def major_of(name: str) -> str:
    return name.split("/", 1)[0]


def is_restore(name: str) -> bool:
    return "/restores/" in name


class Fleet:
    def __init__(
        self,
        root: Path,
        *,
        port_of: Callable[[Path], int],
        read_port: Callable[[Path], int | None],
        runner: Runner | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.root = root  # <addons>/postgres
        self._port_of = port_of
        self._read_port = read_port
        self._runner = runner
        self._clock = clock
        self._clusters: dict[str, PostgresCluster] = {}
        self._lock = threading.RLock()  # a restore runs outside AddonHost's lock

    def path(self, name: str) -> Path:
        return self.root / name

    def now(self) -> float:
        return self._clock.now()

    def main(self, major: str) -> PostgresCluster:
        """The main cluster of `major`, its directory and port made the first time."""
        with self._lock:
            cluster = self._clusters.get(major)
            if cluster is None:
                root = self.path(major)
                passable_dirs(root)
                cluster = self._open(major, self._port_of(root))
            return cluster

    def known(self) -> dict[str, PostgresCluster]:
        """Every cluster on disk, main ones first, each opened once."""
        names = [p.name for p in sorted(self.root.glob("*")) if (p / "port").is_file()]
        names += [
            str(p.relative_to(self.root))
            for p in sorted(self.root.glob("*/restores/*"))
            if (p / "port").is_file() and (p / RESTORE_FILE).is_file()
        ]
        with self._lock:
            for gone in set(self._clusters) - set(names):
                del self._clusters[gone]
            for name in names:
                if name not in self._clusters:
                    self._open(name, self._read_port(self.path(name)) or 0)
            return {name: self._clusters[name] for name in names}

    def get(self, name: str) -> PostgresCluster | None:
        return self.known().get(name)

    def backups(self, cluster: PostgresCluster) -> Backups:
        # one short scratch directory for every cluster: a verification cluster's socket path
        # must stay under the kernel's 107 bytes even below a restored cluster's directory
        return Backups(cluster, cluster.layout.root / BACKUPS_DIR, scratch=self.root / SCRATCH)

    def clean_scratch(self) -> list[str]:
        """Stop and delete verification clusters a control plane that died mid-verify left
        behind (they run in a session of their own); returns their directories' names."""
        found = []
        for root in sorted((self.root / SCRATCH).glob("*")):
            version = root / "data" / "PG_VERSION"
            if version.is_file():
                major = version.read_text().strip()
                with contextlib.suppress(AddonError):
                    open_cluster(major, root=root, port=0, runner=self._runner).stop(
                        mode="immediate", timeout=10.0
                    )
            shutil.rmtree(root, ignore_errors=True)
            found.append(root.name)
        return found

    def reserved_port_files(self) -> list[Path]:
        """Every cluster's port file, a restore still in progress included."""
        return [*self.root.glob("*/port"), *self.root.glob("*/restores/*/port")]

    # -- restores ----------------------------------------------------------------------------

    def new_restore(self, major: str) -> tuple[str, Path, int]:
        """A name, directory and port for a cluster about to be restored."""
        stamp = datetime.fromtimestamp(self._clock.now(), UTC).strftime("%Y%m%d")
        name = f"{major}/restores/{stamp}-{secrets.token_hex(2)}"
        root = self.path(name)
        check_socket_path(ClusterLayout(root).run)
        passable_dirs(root.parent)
        root.mkdir()
        os.chmod(root, 0o711)
        return name, root, self._port_of(root)

    def adopt_restore(self, name: str, cluster: PostgresCluster, record: RestoreRecord) -> None:
        """The restore is done and checked: from now on it is a cluster like any other."""
        text = json.dumps(asdict(record), indent=2, sort_keys=True) + "\n"
        with self._lock:
            atomic_write(self.path(name) / RESTORE_FILE, text, mode=0o600)
            self._clusters[name] = cluster

    def restore_record(self, name: str) -> RestoreRecord | None:
        try:
            data = json.loads((self.path(name) / RESTORE_FILE).read_text())
            return RestoreRecord(**data)
        except (OSError, ValueError, TypeError):
            return None

    def remove(self, name: str) -> None:
        """Stop a restored cluster and delete it with its backups (main clusters stay)."""
        if not is_restore(name):
            raise ValueError(f"{name} is a main cluster; only restored ones are removed")
        with self._lock:
            cluster = self._clusters.pop(name, None)
            (self.path(name) / RESTORE_FILE).unlink(missing_ok=True)  # no longer adopted
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(self.path(name), ignore_errors=True)

    def _open(self, name: str, port: int) -> PostgresCluster:
        cluster = open_cluster(
            major_of(name), root=self.path(name), port=port, runner=self._runner, clock=self._clock
        )
        self._clusters[name] = cluster
        return cluster
