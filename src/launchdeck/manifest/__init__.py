"""Parse and validate launchdeck.toml (or a bare Procfile) into a domain.Manifest.

Owns: the manifest schema (one module, the docs are generated from it), errors that name the
field path, the bad value and a fix.
Must not import: build, drivers, planning, execution, controlplane, cli.
"""

from launchdeck.manifest.errors import Issue, ManifestError
from launchdeck.manifest.loader import load_manifest, parse_manifest
from launchdeck.manifest.procfile import parse_procfile

__all__ = ["Issue", "ManifestError", "load_manifest", "parse_manifest", "parse_procfile"]
