"""Engine versions a manifest's major version becomes. AutoMinorVersionUpgrade moves a running
database on from here; these only need to be current when a stack is created."""

from __future__ import annotations

POSTGRES_VERSIONS = {"14": "14.22", "15": "15.17", "16": "16.13", "17": "17.9", "18": "18.3"}
REDIS_VERSIONS = {"6": "6.2", "7": "7.1"}
