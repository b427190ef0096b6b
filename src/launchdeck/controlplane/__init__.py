"""The control plane: HTTP API (FastAPI), use cases, reconciler loop, SQLite store, auth.

Owns: desired state and its history (apps, releases, deployments, events), and the daemon.
Must not import: cli.
"""
