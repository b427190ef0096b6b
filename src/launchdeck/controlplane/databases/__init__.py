"""Databases as users see them: scheduled and on-demand backups, restores, pulls between
environments, pruning, and the host's backup target, on top of the PostgreSQL add-on driver.

Must not import: http.
"""
