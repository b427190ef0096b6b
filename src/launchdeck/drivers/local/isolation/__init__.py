"""Keeping app code (builds, tests, release commands, instances) away from the control plane and
from other apps: an account per app environment, bubblewrap namespaces where the host has them.

Owns: system accounts (useradd), bwrap/setpriv argv, the environment allowlist for builds.
Must not import: the control plane, execution or planning.
"""

from launchdeck.drivers.local.isolation.accounts import Account, Accounts, account_name
from launchdeck.drivers.local.isolation.errors import AccountUnavailable, IsolationError
from launchdeck.drivers.local.isolation.host import Isolation, Support
from launchdeck.drivers.local.isolation.jail import AccountJail, Namespaces

__all__ = [
    "Account",
    "AccountJail",
    "AccountUnavailable",
    "Accounts",
    "Isolation",
    "IsolationError",
    "Namespaces",
    "Support",
    "account_name",
]
