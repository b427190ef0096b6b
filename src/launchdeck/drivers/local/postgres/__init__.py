"""The PostgreSQL add-on: clusters (Debian's binaries) with a role and a database per app
environment, WAL archiving, base backups verified by restore, point-in-time recovery, copies
between environments and to an S3-compatible bucket.

Owns: cluster directories, the SQL the superuser runs (psycopg), pg_basebackup / pg_dump runs.
Must not import: the control plane, execution or planning.
"""
