"""The errors the PostgreSQL and Redis add-ons raise that only the driver names; each says what
went wrong and the value involved (`message`), and what to do next (`fix`, when there is one).
The root and the errors the control plane names too are in system/addon_errors.py.

LaunchdeckError (system/errors.py)
└── AddonError (system/addon_errors.py)
    ├── AddonNotInstalled        the server binaries are missing: names the Debian package
    ├── InvalidAddonInput        a name, version or directory the add-on will not use
    ├── ServiceUserMissing       running as root, but the server's system account is absent
    ├── DataDirUnreachable       the service account cannot reach the add-on's directory
    ├── VersionMismatch          a data directory made by another PostgreSQL major version
    ├── AddonStartFailed         the server did not start (port taken, bad config, ...): log tail
    ├── AddonQueryFailed         a SQL statement or a Redis command answered with an error
    │   └── RedisAuthFailed      Redis refused the user or password
    ├── BackupFailed             (system/addon_errors.py) pg_basebackup did not produce a backup
    ├── UnknownBackup            (system/addon_errors.py) no backup has that id
    ├── NoBackups                nothing to restore from yet
    ├── RestoreTargetOutOfRange  a restore time outside the restorable window (shows the window)
    └── RestoreFailed            recovery did not reach its target (log tail)
"""

from __future__ import annotations

from launchdeck.system.addon_errors import AddonError, FailureKind


class AddonNotInstalled(AddonError):
    """`message` says what is missing; the fix always names the Debian package."""

    kind = FailureKind.INVALID

    def __init__(self, message: str, package: str) -> None:
        self.package = package
        super().__init__(message, f"apt-get install {package} (or run make setup)")


class InvalidAddonInput(AddonError, ValueError):
    kind = FailureKind.INVALID


class ServiceUserMissing(AddonError):
    def __init__(self, account: str, package: str) -> None:
        self.account = account
        super().__init__(
            f"running as root, the server must run as the {account!r} system user, which does not "
            "exist",
            f"apt-get install {package} (it creates the user), or run launchdeck as a non-root "
            "user",
        )


class DataDirUnreachable(AddonError):
    def __init__(self, account: str, target: str, blocker: str, mode: int) -> None:
        self.account = account
        self.target = target
        self.blocker = blocker
        super().__init__(
            f"the {account!r} system user cannot reach {target}: {blocker} is mode {mode:04o}",
            f"chmod o+x {blocker} (search only, no listing), or set LAUNCHDECK_HOME to a "
            f"directory {account!r} can reach",
        )


class VersionMismatch(AddonError):
    pass


class AddonStartFailed(AddonError):
    pass


class AddonQueryFailed(AddonError):
    pass


class RedisAuthFailed(AddonQueryFailed):
    pass


class NoBackups(AddonError):
    kind = FailureKind.CONFLICT


class RestoreTargetOutOfRange(AddonError, ValueError):
    kind = FailureKind.INVALID

    def __init__(self, target: str, why: str, earliest: str, latest: str) -> None:
        self.target = target
        self.earliest = earliest
        self.latest = latest
        super().__init__(
            f"cannot restore to {target}: {why}; the restorable window is {earliest} to "
            f"{latest} (now)",
            "pick a time inside that window",
        )


class RestoreFailed(AddonError):
    pass
