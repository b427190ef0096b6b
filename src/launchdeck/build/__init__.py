"""Turn a source tree into an immutable, content-addressed Build (python, node, generic).

Owns: buildpack detection, dependency environments cached by lock-file hash, the artifact store
and its pruning.
Must not import: drivers, planning, execution, controlplane, cli.
"""
