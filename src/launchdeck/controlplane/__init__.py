"""The control plane: HTTP API (FastAPI), use cases, reconciler loop, SQLite store, auth.

Owns: desired state and its history (apps, releases, deployments, events), and the daemon.
Must not import: cli; nor drivers, outside plane.py (the composition root): the rest is written
against the protocols in ports.py (import-linter holds it; databases/ still has listed debt).
"""
