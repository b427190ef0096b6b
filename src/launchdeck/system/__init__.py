"""Thin seams over the operating system: Command values and the Runner that runs them, a Clock,
atomic file writes, file locks, and the Jail protocol that confines untrusted commands.

Owns: every direct use of subprocess, time and file replacement that other layers need, and the
error root (errors.py) with the add-on errors both the driver and the control plane name
(addon_errors.py).
Must not import: anything else of launchdeck.
"""

from launchdeck.system.clock import SYSTEM_CLOCK, Clock, SystemClock
from launchdeck.system.commands import Command, CommandFailed, Result, Runner
from launchdeck.system.errors import LaunchdeckError
from launchdeck.system.files import FileLock, atomic_write, passable_dirs
from launchdeck.system.jail import OPEN, Jail, OpenJail
from launchdeck.system.waiting import wait_until

__all__ = [
    "OPEN",
    "SYSTEM_CLOCK",
    "Clock",
    "Command",
    "CommandFailed",
    "FileLock",
    "Jail",
    "LaunchdeckError",
    "OpenJail",
    "Result",
    "Runner",
    "SystemClock",
    "atomic_write",
    "passable_dirs",
    "wait_until",
]
