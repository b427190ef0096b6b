"""Databases as users see them: scheduled and on-demand backups, restores, pulls between
environments, pruning, and the host's backup target, on top of the PostgreSQL add-on driver,
known here only by the protocols of controlplane/ports.py (plane.py passes the driver in).

Must not import: http, drivers.
"""
