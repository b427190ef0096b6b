"""Turn a source tree into an immutable, content-addressed Build (python, node, generic).

Owns: buildpack detection, dependency environments cached by lock-file hash, the artifact store
and its pruning.
Must not import: drivers, planning, execution, controlplane, cli.
"""

from launchdeck.build.builder import Builder
from launchdeck.build.detect import detect_kind
from launchdeck.build.errors import BuildError, UnknownBuild
from launchdeck.build.store import Artifact

__all__ = ["Artifact", "BuildError", "Builder", "UnknownBuild", "detect_kind"]
